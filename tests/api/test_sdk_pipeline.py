"""PostHog's SDKs against a running service with its embedded worker: posthog-node captures
the RangeError a minified, injected esbuild bundle throws under Node, posthog-js the same
in headless Chromium (Debian's chromium, Playwright); posthog (PyPI) captures a Python
exception. The stored events carry resolved frames and their issue; a
second identical exception joins that issue; a map uploaded after the event resolves it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from symbols.db.tables import events, issues
from symbols.symbol_sets.container import pack
from tests.support.node import NODE
from tests.support.npm import npm_package
from tests.support.pipeline import DIST
from tests.support.processes import REPO
from tests.support.sdks import python_sdk_sends

POSTHOG_NODE = "5.74.0"
WAIT_SECONDS = 60

# Runs an injected fixture bundle; the bundle catches its own RangeError and prints the
# stack, so the error is rebuilt from that stack (the bundle's own frames, and the
# chunk id its prologue registered) and captured with posthog-node.
NODE_APP = """
const { PostHog } = require('posthog-node');
const [bundle, host, token] = process.argv.slice(2);
const client = new PostHog(token, { host, flushAt: 1, flushInterval: 0 });
const errors = [];
const log = console.log;
console.log = (line) => {
  const data = line.startsWith('{') ? JSON.parse(line) : {};
  if (data.stack) {
    const [head] = data.stack.split('\\n');
    const error = new RangeError(head.replace(/^RangeError: /, ''));
    error.stack = data.stack;
    errors.push(error);
  }
};
require(bundle);
console.log = log;
for (const error of errors) client.captureException(error, 'node-user', { bundle });
client.shutdown().then(() => log(JSON.stringify({ captured: errors.length })));
"""


def _inject(tmp_path: Path, relative: str) -> tuple[Path, str]:
    """A copy of a fixture bundle and its map, injected with ``symbols sourcemap inject``."""
    target = tmp_path / "dist" / Path(relative).parent.name
    target.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".map"):
        shutil.copy(DIST / (relative + suffix), target / (Path(relative).name + suffix))
    done = subprocess.run([sys.executable, "-m", "symbols", "sourcemap", "inject", "--directory", str(target)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    script = target / Path(relative).name
    [chunk_id] = re.findall(r"//# chunkId=(\S+)", script.read_text())
    return script, chunk_id


async def _node_capture(service, script: Path, tmp_path: Path) -> None:
    home = npm_package("posthog-node", POSTHOG_NODE)
    runner = tmp_path / "capture.js"
    runner.write_text(NODE_APP)
    proc = await asyncio.create_subprocess_exec(
        NODE, str(runner), str(script), service.api.base_url, service.token, cwd=tmp_path,
        env={**os.environ, "NODE_PATH": str(home / "node_modules")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 100)
    assert proc.returncode == 0 and b'"captured":1' in out, err.decode()


async def _exceptions(db, count: int) -> list:
    """The stored $exception events once there are ``count`` (the pipeline runs apart)."""
    for _ in range(WAIT_SECONDS * 20):
        async with db.connect() as conn:
            rows = (await conn.execute(
                select(events).where(events.c.event == "$exception").order_by(events.c.timestamp))).all()
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(rows)} of {count} events stored after {WAIT_SECONDS} s")


def _frames(row) -> list[dict]:
    return row.properties["$exception_list"][0]["stacktrace"]["frames"]


async def _upload(service, script: Path, chunk_id: str) -> None:
    data = pack(script.with_name(script.name + ".map").read_bytes(), script.read_bytes())
    status, body = await service.api.upload(chunk_id, data)
    assert status == 201, body


@pytest.fixture(params=["sqlite-database", "postgresql-database", "sqlite-redis"])
async def service(request, capture_factory):
    if NODE is None:
        pytest.skip("node is needed to run the bundle")
    db_kind, stream_kind = request.param.split("-")
    return await capture_factory(db_kind, stream_kind, worker=True, job_poll_seconds=0.1)


async def test_posthog_node_exceptions_resolve_and_group(service, tmp_path):
    script, chunk_id = _inject(tmp_path, "assets/app.js")
    await _upload(service, script, chunk_id)
    await _node_capture(service, script, tmp_path)

    [row] = await _exceptions(service.api.db, 1)
    # The bundle's frames, innermost last; outside them, Node's own (node:internal/...).
    frames = [f for f in _frames(row) if f["source"] and "src/" in f["source"]][-4:]
    assert [(f["resolved_name"], f["source"].split("src/")[1], f["line"]) for f in frames] == [
        ("main", "index.js", 9), ("orderTotal", "math.js", 17), ("lineTotal", "math.js", 4),
        ("checkedQuantity", "math.js", 9),
    ]
    assert all(f["resolved"] and f["lang"] == "javascript" for f in frames)
    props = row.properties
    assert (props["$exception_types"], props["$exception_values"]) == (
        ["RangeError"], ["negative quantity for cake"])
    assert row.distinct_id == "node-user" and row.issue_id == props["$exception_issue_id"]

    await _node_capture(service, script, tmp_path)
    first, second = await _exceptions(service.api.db, 2)
    assert second.issue_id == first.issue_id
    async with service.api.db.connect() as conn:
        [issue] = (await conn.execute(select(issues))).all()
    assert (issue.name, issue.occurrences, issue.status) == ("RangeError", 2, "active")
    status, body = await service.api.call("POST", "stack_frames/batch_get/",
                                          json={"raw_ids": [f["raw_id"] for f in frames]})
    assert status == 200 and {r["contents"]["resolved_name"] for r in body["results"]} == {
        "main", "orderTotal", "lineTotal", "checkedQuantity"}


async def test_posthog_node_event_resolved_by_a_later_upload(service, tmp_path):
    script, chunk_id = _inject(tmp_path, "cli.cjs")
    await _node_capture(service, script, tmp_path)
    [before] = await _exceptions(service.api.db, 1)
    waiting = [f for f in _frames(before) if f.get("symbol_set_ref") == chunk_id]
    assert len(waiting) >= 3 and {f["resolve_failure"] for f in waiting} == {"NoSourcemapUploaded"}

    await _upload(service, script, chunk_id)

    for _ in range(WAIT_SECONDS * 20):
        [after] = await _exceptions(service.api.db, 1)
        if not any(f.get("symbol_set_ref") == chunk_id for f in _frames(after)):
            break
        await asyncio.sleep(0.05)
    names = [f["resolved_name"] for f in _frames(after) if f["resolved"] and "src/" in (f["source"] or "")]
    assert names[-2:] == ["lineTotal", "checkedQuantity"]
    assert after.issue_id == before.issue_id
    assert after.properties["$exception_fingerprint"] == before.properties["$exception_fingerprint"]


async def test_posthog_python_exceptions_pass_through_and_group(service):
    await asyncio.to_thread(python_sdk_sends, service.api.base_url, service.token, times=2)

    first, second = await _exceptions(service.api.db, 2)
    top = _frames(first)[-1]
    assert (top["resolved_name"], top["lang"], top["resolved"]) == ("checkout", "python", True)
    assert top["source"].endswith("sdks.py")
    assert first.properties["plan"] == "pro" and first.properties["$exception_types"] == ["ValueError"]
    assert first.issue_id is not None and second.issue_id == first.issue_id


POSTHOG_JS = "1.449.2"
PAGE = """<!doctype html><html><head><script src="/posthog.js"></script><script>
posthog.init(%(token)s, {api_host: %(host)s, autocapture: false, capture_pageview: false,
  capture_pageleave: false, disable_session_recording: true, advanced_disable_decide: true,
  request_batching: false, opt_out_useragent_filter: true});
window.errors = [];
window.realLog = console.log;
console.log = (line) => {
  const data = line.startsWith('{') ? JSON.parse(line) : {};
  if (data.stack) {
    const error = new RangeError(data.stack.split('\\n')[0].replace(/^RangeError: /, ''));
    error.stack = data.stack;
    window.errors.push(error);
  }
};
</script><script src="/assets/app.js"></script><script>
console.log = window.realLog;
for (const error of window.errors) posthog.captureException(error);
window.captured = window.errors.length;
</script></head><body>shop</body></html>"""


async def test_posthog_js_in_chromium_resolves_and_groups(capture_factory, tmp_path):
    from aiohttp import web

    from tests.web.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium")
    service = await capture_factory("sqlite", worker=True, job_poll_seconds=0.1)
    script, chunk_id = _inject(tmp_path, "assets/app.js")
    await _upload(service, script, chunk_id)
    library = npm_package("posthog-js", POSTHOG_JS) / "node_modules" / "posthog-js" / "dist" / "array.full.js"
    page = PAGE % {"token": f'"{service.token}"', "host": f'"{service.api.base_url}"'}

    files = {"/posthog.js": library, "/assets/app.js": script}

    async def serve(request: web.Request) -> web.StreamResponse:
        if request.path == "/":
            return web.Response(text=page, content_type="text/html")
        if request.path not in files:
            raise web.HTTPNotFound()
        return web.FileResponse(files[request.path])

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    try:
        async with chromium() as browser:
            for visit in (1, 2):
                tab = await browser.new_page()
                await tab.goto(origin + "/")
                assert await tab.evaluate("window.captured") == 1
                rows = await _exceptions(service.api.db, visit)
                await tab.close()
    finally:
        await runner.cleanup()

    first, second = rows
    frames = [f for f in _frames(first) if f["source"] and "src/" in f["source"]][-4:]
    assert [(f["resolved_name"], f["source"].split("src/")[1], f["line"]) for f in frames] == [
        ("main", "index.js", 9), ("orderTotal", "math.js", 17), ("lineTotal", "math.js", 4),
        ("checkedQuantity", "math.js", 9),
    ]
    assert first.properties["$lib"] == "web" and second.issue_id == first.issue_id
