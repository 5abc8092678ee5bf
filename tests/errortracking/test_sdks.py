"""Real PostHog SDKs (posthog-node from npm, posthog from PyPI) send exceptions to a small
aiohttp server on 127.0.0.1 that decodes every request with ``decode_capture``."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from symbols.errortracking.capture import CaptureBatch, CaptureError, decode_capture
from symbols.errortracking.preprocess import preprocess
from tests.support import sdks
from tests.support.npm import NODE, npm_package
from tests.support.sdks import NODE_APP, POSTHOG_NODE, RAISING_LINE, python_sdk_sends


@dataclass
class Recorder:
    url: str = ""
    batches: list[CaptureBatch] = field(default_factory=list)
    refused: list[CaptureError] = field(default_factory=list)
    requests: list[tuple[str, bool, dict]] = field(default_factory=list)  # path, gzip, query

    def events(self, name: str = "$exception") -> list:
        return [e for b in self.batches for e in b.events if e.event == name]


@pytest.fixture
async def capture_server():
    recorder = Recorder()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        recorder.requests.append((request.path, body[:3] == b"\x1f\x8b\x08", dict(request.query)))
        if request.path.rstrip("/") not in ("/batch", "/e", "/i/v0/e", "/capture", "/track"):
            return web.json_response({})  # flags and the like: nothing to answer
        try:
            recorder.batches.append(decode_capture(body, request.content_type, request.query, request.path))
        except CaptureError as exc:
            recorder.refused.append(exc)
            return web.json_response({"type": "validation_error", "code": exc.code,
                                      "detail": exc.detail, "attr": None}, status=exc.status)
        return web.json_response({"status": 1})

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    # The body as sent (no transparent Content-Encoding inflation): decode_capture's bounded
    # gunzip is the one under test.
    runner = web.AppRunner(app, auto_decompress=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    recorder.url = f"http://127.0.0.1:{port}"
    yield recorder
    await runner.cleanup()




async def test_posthog_node_capture_exception(capture_server, tmp_path):
    home = npm_package("posthog-node", POSTHOG_NODE)
    script = tmp_path / "app.js"
    script.write_text(NODE_APP.format(key='"phc_node_token"', host=f'"{capture_server.url}"'))
    proc = await asyncio.create_subprocess_exec(
        NODE, str(script), cwd=tmp_path, env={**os.environ, "NODE_PATH": str(home / "node_modules")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 100)
    assert proc.returncode == 0, err.decode()
    assert capture_server.refused == []
    assert capture_server.requests == [("/batch/", True, {})], capture_server.requests
    (event,) = capture_server.events()
    (batch,) = [b for b in capture_server.batches if event in b.events]
    assert (batch.token, event.distinct_id, event.properties["extra"]) == ("phc_node_token", "user-42", "x")
    (exc,) = event.properties["$exception_list"]
    assert (exc["type"], exc["value"]) == ("Error", "boom from node")
    frames = exc["stacktrace"]["frames"]
    throwing = [f for f in frames if f.get("function") == "failingFunction"]
    assert len(throwing) == 1
    throw_line = script.read_text().splitlines().index("  throw new Error('boom from node');") + 1
    assert (throwing[0]["lineno"], throwing[0]["colno"]) == (throw_line, 9)
    assert throwing[0]["filename"].endswith("app.js") and throwing[0]["platform"] == "node:javascript"
    assert frames[-1] is throwing[0]  # innermost frame last
    prepared = preprocess(event.event, event.properties)
    assert prepared.exceptions is not None and "$cymbal_errors" not in prepared.properties
    assert all(len(f["raw_id"]) == 128 for f in prepared.exceptions[0]["stacktrace"]["frames"])


@pytest.mark.parametrize("gzip", [False, True])
async def test_posthog_python_capture_exception(capture_server, gzip):
    await asyncio.to_thread(python_sdk_sends, capture_server.url, "phc_py_token", gzip=gzip)
    assert capture_server.refused == []
    assert [(path, gzipped) for path, gzipped, _ in capture_server.requests] == [("/batch/", gzip)]
    (event,) = capture_server.events()
    (batch,) = [b for b in capture_server.batches if event in b.events]
    assert (batch.token, event.distinct_id, event.properties["plan"]) == ("phc_py_token", "py-user", "pro")
    (exc,) = event.properties["$exception_list"]
    assert (exc["type"], exc["value"]) == ("ValueError", "boom from python")
    frames = exc["stacktrace"]["frames"]
    (raising,) = [f for f in frames if f.get("function") == "checkout"]
    assert raising["platform"] == "python" and raising["filename"].endswith("sdks.py")
    assert raising["context_line"].strip() == RAISING_LINE
    source = Path(sdks.__file__).read_text().splitlines()
    assert source[raising["lineno"] - 1].strip() == RAISING_LINE
    prepared = preprocess(event.event, event.properties)
    assert prepared.exceptions[0]["stacktrace"]["frames"][-1]["function"] == "checkout"
