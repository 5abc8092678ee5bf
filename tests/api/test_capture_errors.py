"""Capture refusals and guarantees over a real server: every error code with our error
body, 503 when the stream cannot take the events, an SDK retry queued once, and a token
writing only to its own project (SQLite/PostgreSQL, database/Redis stream)."""

from __future__ import annotations

import json

import pytest

from symbols.api.capture import BATCH_BODY_BYTES, EVENT_BODY_BYTES
from symbols.app import create_app
from symbols.config import ConfigError, Settings
from symbols.db.access import create_project
from symbols.errortracking.ingest import MAX_CACHED_TOKENS, TokenCache
from symbols.errortracking.redis_stream import RedisStream
from tests.support.capture import exception_event


def _error_shape(body: dict, status_type: str, code: str) -> None:
    assert set(body) == {"type", "code", "detail", "attr"}
    assert (body["type"], body["code"], body["attr"]) == (status_type, code, None)
    assert isinstance(body["detail"], str) and body["detail"]


def _bodies(token: str) -> list[tuple[str, object, int, str, str]]:
    """(path, body, status, type, code) of each refusal."""
    ok = exception_event()
    no_distinct = {k: v for k, v in exception_event().items() if k != "distinct_id"}
    return [
        ("/e/", b"{not json", 400, "validation_error", "invalid_payload"),
        ("/e/", b"\x1f\x8b\x08\x00junk", 400, "validation_error", "invalid_payload"),
        ("/e/", b"", 400, "validation_error", "invalid_payload"),
        ("/e/", b"42", 400, "validation_error", "invalid_payload"),
        ("/i/v0/e/", {**no_distinct, "token": token}, 400, "validation_error", "missing_distinct_id"),
        ("/batch/", {"api_key": token, "batch": []}, 400, "validation_error", "empty_batch"),
        ("/e/", [], 400, "validation_error", "empty_batch"),
        ("/e/", [{**ok, "uuid": "nope", "token": token}], 400, "validation_error", "invalid_uuid"),
        ("/e/", [ok], 401, "authentication_error", "no_token"),
        ("/e/", [{**ok, "token": "phc_unknown"}], 401, "authentication_error", "invalid_token"),
        ("/e/", [{**ok, "token": "phx_personal_key"}], 401, "authentication_error", "invalid_token"),
        ("/e/", [{**ok, "token": token}, {**exception_event(), "token": token + "x"}], 401,
         "authentication_error", "multiple_tokens"),
        ("/batch/", {"api_key": token, "batch": [exception_event()] * 10_001}, 413,
         "invalid_request", "payload_too_large"),
        ("/i/v0/e/", {**exception_event(big="x" * (1024 * 1024)), "token": token}, 413,
         "invalid_request", "event_too_big"),
    ]


async def test_every_refusal_has_its_status_and_code_and_queues_nothing(capture):
    for path, body, status, type_, code in _bodies(capture.token):
        got, answer, _ = await capture.send(path, body)
        assert got == status, (path, code, answer)
        _error_shape(answer, type_, code)
    assert await capture.queued() == []


async def test_bodies_over_the_route_cap_are_413_before_and_while_reading(capture):
    big = b"[" + b" " * EVENT_BODY_BYTES + b"]"
    status, body, _ = await capture.send("/e/", big)
    assert status == 413
    _error_shape(body, "invalid_request", "payload_too_large")

    async def chunks():  # no Content-Length: the cap applies while reading
        for _ in range(EVENT_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    status, body, _ = await capture.send("/i/v0/e/", data=chunks())
    assert status == 413 and body["code"] == "payload_too_large"
    # /batch/ takes up to 20 MiB, as PostHog's capture.
    event = {**exception_event(pad="y" * 900_000), "token": capture.token}
    status, _, _ = await capture.send("/batch/", json.dumps([event] * 3))
    assert status == 200
    status, _, _ = await capture.send("/batch/", b" " * (BATCH_BODY_BYTES + 1))
    assert status == 413


async def test_stream_down_is_503_with_a_code(capture_factory):
    capture = await capture_factory(redis=RedisStream("redis://127.0.0.1:1/0"))
    status, body, _ = await capture.send("/e/", [{**exception_event(), "token": capture.token}])
    assert status == 503
    _error_shape(body, "server_error", "stream_unavailable")


async def test_an_sdk_retry_of_the_same_event_uuid_is_queued_once(matrix_capture):
    capture = matrix_capture
    events = [{**exception_event(f"u{i}"), "token": capture.token} for i in range(3)]
    for _ in range(2):  # the SDK did not see the first answer and sends the batch again
        assert (await capture.send("/e/", events))[0] == 200
    again = {**events[1], "properties": {**events[1]["properties"], "changed": True}}
    assert (await capture.send("/e/", [again, again]))[0] == 200
    queued = await capture.queued()
    assert [u for _, u, _ in queued] == [e["uuid"] for e in events]
    assert "changed" not in queued[1][2]["properties"]


async def test_a_token_only_ever_writes_to_its_own_project(matrix_capture):
    capture = matrix_capture
    async with capture.api.db.begin() as conn:
        other = await create_project(conn, "other")
    mine = [{**exception_event("me"), "token": capture.token} for _ in range(2)]
    theirs = [{**exception_event("them"), "token": other.api_token} for _ in range(2)]
    assert (await capture.send("/e/", mine))[0] == 200
    assert (await capture.send("/batch/", {"api_key": other.api_token, "batch": theirs}))[0] == 200
    # One token for the body, another inside an event: refused, not split across projects.
    mixed = [mine[0], {**exception_event(), "token": other.api_token}]
    assert (await capture.send("/e/", mixed))[0] == 401
    queued = await capture.queued()
    by_project = {(p, e["distinct_id"]) for p, _, e in queued}
    assert by_project == {(capture.api.project_id, "me"), (other.id, "them")}
    assert len(queued) == 4


def test_token_cache_expires_and_stays_bounded():
    now = [0.0]
    cache = TokenCache(30, clock=lambda: now[0])
    cache.put("phc_a", 1)
    cache.put("phc_gone", None)
    assert cache.get("phc_a") == (True, 1) and cache.get("phc_gone") == (True, None)
    now[0] = 30.0
    assert cache.get("phc_a") == (False, None)
    for i in range(MAX_CACHED_TOKENS + 5):
        cache.put(f"phc_{i}", i)
    assert cache.get("phc_0") == (False, None)
    assert cache.get(f"phc_{MAX_CACHED_TOKENS + 4}") == (True, MAX_CACHED_TOKENS + 4)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(capture, method):
    status, body, _ = await capture.send("/e/", method=method)
    assert status == 405 and body["code"] == "method_not_allowed"


def test_capture_settings_from_the_environment(tmp_path):
    env = {"SYMBOLS_STREAM_URL": "redis://127.0.0.1:6379/3", "SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS": "5"}
    settings = Settings.from_env(env)
    assert (settings.stream_url, settings.capture_token_cache_seconds) == ("redis://127.0.0.1:6379/3", 5.0)
    assert Settings.from_env({}).stream_url == ""
    with pytest.raises(ConfigError, match="SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS"):
        Settings.from_env({"SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS": "soon"})
    with pytest.raises(ConfigError, match="SYMBOLS_STREAM_URL"):
        create_app(Settings(data_dir=tmp_path, stream_url="kafka://broker:9092"))
