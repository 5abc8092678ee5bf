"""symbols.client: error mapping and retries.

The faults here (429, 503, dropped connections, HTML answers) cannot be produced on
demand by the real service, so a small aiohttp server plays them; the full upload flow
runs against the real service in test_upload.py.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from symbols.buildtools import client as c
from symbols.config import ClientSettings
from tests.support.net import free_port

FAST = c.RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
BASE = "/api/environments/7/error_tracking/"


async def serve(routes: dict[str, object]) -> TestServer:
    app = web.Application()
    for path, handler in routes.items():
        method, _, route = path.partition(" ")
        app.router.add_route(method, route, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.symbols_host = f"http://127.0.0.1:{server.port}"  # the port is gone once closed
    return server


def host_of(server: TestServer) -> str:
    return server.symbols_host


def error(status: int, type_: str, code: str, detail: str) -> web.Response:
    return web.json_response({"type": type_, "code": code, "detail": detail, "attr": None}, status=status)


@pytest.fixture
async def flaky():
    """A server whose bulk_start_upload answers 429, 503, then 201; counts calls."""
    calls = {"start": 0, "auth": []}

    async def start(request: web.Request) -> web.Response:
        calls["start"] += 1
        calls["auth"].append(request.headers.get("Authorization"))
        if calls["start"] == 1:
            return web.json_response({"detail": "slow down"}, status=429, headers={"Retry-After": "0"})
        if calls["start"] == 2:
            return web.Response(status=503, text="<html>upstream down</html>", content_type="text/html")
        body = await request.json()
        return web.json_response({"id_map": {
            s["chunk_id"]: {"presigned_url": {"url": "http://x/up", "fields": {"key": "k", "n": 1}},
                            "symbol_set_id": "s-" + s["chunk_id"]}
            for s in body["symbol_sets"]
        }}, status=201)

    server = await serve({f"POST {BASE}symbol_sets/bulk_start_upload/": start})
    yield server, calls
    await server.close()


async def test_retries_429_and_5xx_then_succeeds(flaky) -> None:
    server, calls = flaky
    async with c.SymbolsClient(host_of(server), "7", "phx_key", retry=FAST) as api:
        targets = await api.bulk_start_upload([{"chunk_id": "a", "content_hash": "h"}])
    assert calls["start"] == 3
    assert calls["auth"] == ["Bearer phx_key"] * 3
    assert targets == {"a": c.UploadTarget("s-a", c.PresignedForm("http://x/up", {"key": "k", "n": "1"}))}


async def test_gives_up_after_the_attempts_with_a_readable_error() -> None:
    calls = []

    async def down(request: web.Request) -> web.Response:
        calls.append(1)
        return error(503, "server_error", "unavailable", "database is down")

    server = await serve({f"POST {BASE}symbol_sets/bulk_finish_upload/": down})
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            with pytest.raises(c.ServerError) as info:
                await api.bulk_finish_upload({"s": "h"})
    finally:
        await server.close()
    assert len(calls) == FAST.attempts
    assert str(info.value) == f"{host_of(server)} failed with HTTP 503: database is down"


@pytest.mark.parametrize(
    "status, body, kind, message",
    [
        (401, ("authentication_error", "authentication_failed", "Invalid API key."),
         c.AuthenticationFailed, "authentication failed: the key was rejected by {host} (Invalid API key.)"),
        (404, ("invalid_request", "not_found", "Not found."),
         c.ProjectNotFound, "project '7' was not found on {host}, or this key cannot see it"),
        (400, ("validation_error", "content_hash_mismatch", "content differs"),
         c.ServiceError, "content differs [content_hash_mismatch]"),
    ],
)
async def test_error_bodies_become_typed_one_line_errors(status, body, kind, message) -> None:
    calls = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(1)
        return error(status, *body)

    server = await serve({f"POST {BASE}symbol_sets/bulk_start_upload/": handler})
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            with pytest.raises(kind) as info:
                await api.bulk_start_upload([{"chunk_id": "a", "content_hash": "h"}])
    finally:
        await server.close()
    assert type(info.value) is kind
    assert str(info.value) == message.format(host=host_of(server))
    assert info.value.status == status and info.value.code == body[1]
    assert len(calls) == 1  # client errors are not retried


async def test_html_answer_is_not_our_api() -> None:
    async def spa(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>welcome</p>", content_type="text/html")

    server = await serve({"GET /{tail:.*}": spa})
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            with pytest.raises(c.NotOurApi, match="did not answer like a symbols API .*check --host"):
                await api.check_access()
    finally:
        await server.close()


async def test_404_html_is_not_our_api() -> None:
    server = await serve({})
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            with pytest.raises(c.NotOurApi, match=r"HTTP 404 text/plain .*check --host"):
                await api.check_access()
    finally:
        await server.close()


async def test_connection_refused_fails_fast() -> None:
    port = free_port()
    slow = c.RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.1)
    async with c.SymbolsClient(f"http://127.0.0.1:{port}", "7", "k", retry=slow) as api:
        with pytest.raises(c.ConnectionFailed) as info:
            await api.check_access()
    assert str(info.value).startswith(f"cannot reach http://127.0.0.1:{port}: ")
    assert "refused" in str(info.value).lower() or "connect" in str(info.value).lower()


async def test_release_is_created_once_then_reused() -> None:
    releases: dict[str, dict] = {}

    async def get(request: web.Request) -> web.Response:
        found = releases.get(request.match_info["hash"])
        return web.json_response(found) if found else error(404, "invalid_request", "not_found", "Not found.")

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        release = {"id": f"r{len(releases) + 1}", **body}
        releases[body["hash_id"]] = release
        return web.json_response(release, status=201)

    server = await serve({
        f"GET {BASE}releases/hash/{{hash}}/": get,
        f"POST {BASE}releases/": create,
    })
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            first = await api.ensure_release("shop", "1.2.3")
            again = await api.ensure_release("shop", "1.2.3")
            other = await api.ensure_release("shop", "1.2.4")
    finally:
        await server.close()
    assert first == again
    assert first["hash_id"] == c.release_hash_id("shop", "1.2.3")
    assert (first["project"], first["version"], first["id"]) == ("shop", "1.2.3", "r1")
    assert other["id"] == "r2"
    assert c.release_hash_id("shop", "1.2.3") == c.release_hash_id("shop", "1.2.3")
    assert len(c.release_hash_id("shop", "1.2.3")) == 128


async def test_presigned_post_sends_fields_then_file_without_the_key() -> None:
    seen = {}
    attempts = []

    async def upload(request: web.Request) -> web.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return web.Response(status=500, text="boom")
        reader = await request.multipart()
        parts = []
        async for part in reader:
            parts.append((part.name, part.filename, await part.read()))
        seen["parts"] = parts
        seen["auth"] = request.headers.get("Authorization")
        return web.Response(status=204)

    server = await serve({"POST /bucket": upload})
    try:
        async with c.SymbolsClient(host_of(server), "7", "secret", retry=FAST) as api:
            target = c.PresignedForm(f"{host_of(server)}/bucket", {"key": "a/b", "policy": "p"})
            await api.upload_presigned(target, b"\x00blob", filename="chunk")
    finally:
        await server.close()
    assert len(attempts) == 2
    assert seen["auth"] is None
    assert seen["parts"] == [("key", None, b"a/b"), ("policy", None, b"p"), ("file", "chunk", b"\x00blob")]


async def test_presigned_post_refusal_is_not_retried() -> None:
    attempts = []

    async def upload(request: web.Request) -> web.Response:
        attempts.append(1)
        await request.read()
        return web.Response(status=400, text="<Error><Code>EntityTooLarge</Code></Error>")

    server = await serve({"POST /bucket": upload})
    try:
        async with c.SymbolsClient(host_of(server), "7", "k", retry=FAST) as api:
            with pytest.raises(c.UploadFailed, match="HTTP 400 EntityTooLarge$") as info:
                await api.upload_presigned(c.PresignedForm(f"{host_of(server)}/bucket", {}), b"x")
    finally:
        await server.close()
    assert len(attempts) == 1 and info.value.status == 400


def test_backoff_grows_and_is_jittered() -> None:
    policy = c.RetryPolicy(attempts=6, base_delay=1.0, max_delay=8.0)
    for retry, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8)]):
        delays = {policy.delay(retry) for _ in range(50)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1
    assert policy.delay(0, retry_after=5) == 5
    assert policy.delay(0, retry_after=100) == 8.0


def test_client_settings_from_env_with_posthog_fallbacks() -> None:
    assert ClientSettings.from_env({}) == ClientSettings("http://127.0.0.1:8000", None, None)
    posthog = {"POSTHOG_CLI_HOST": "https://ph", "POSTHOG_CLI_ENV_ID": "2", "POSTHOG_CLI_TOKEN": "t"}
    assert ClientSettings.from_env(posthog) == ClientSettings("https://ph", "2", "t")
    ours = {**posthog, "SYMBOLS_HOST": "http://s", "SYMBOLS_PROJECT": "3", "SYMBOLS_TOKEN": "u"}
    assert ClientSettings.from_env(ours) == ClientSettings("http://s", "3", "u")
    assert ClientSettings.from_env(ours).with_overrides(project="9", token=None).project == "9"
    assert ClientSettings.from_env(ours).with_overrides(project="9", token=None).token == "u"
