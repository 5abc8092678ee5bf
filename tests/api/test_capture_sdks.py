"""Real PostHog SDKs pointed at the service: posthog (PyPI, plain and gzip) and posthog-node
(npm) capture exceptions, get their 200, and the events are queued for the SDK's project."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.support.npm import NODE, npm_package
from tests.support.sdks import NODE_APP, POSTHOG_NODE, python_sdk_sends


@pytest.mark.parametrize("gzip", [False, True])
async def test_posthog_python_captures_into_the_stream(capture, gzip):
    await asyncio.to_thread(python_sdk_sends, capture.api.base_url, capture.token, gzip=gzip)
    queued = await capture.queued()
    assert [(p, e["event"], e["distinct_id"]) for p, _, e in queued] == [
        (capture.api.project_id, "$exception", "py-user")]
    ((_, _, exception),) = queued
    assert exception["properties"]["plan"] == "pro"
    (exc,) = exception["properties"]["$exception_list"]
    assert (exc["type"], exc["value"]) == ("ValueError", "boom from python")
    assert any(f.get("function") == "checkout" for f in exc["stacktrace"]["frames"])


async def test_posthog_node_captures_into_the_stream(capture, tmp_path):
    home = npm_package("posthog-node", POSTHOG_NODE)
    script = tmp_path / "app.js"
    script.write_text(NODE_APP.format(key=f'"{capture.token}"', host=f'"{capture.api.base_url}"'))
    proc = await asyncio.create_subprocess_exec(
        NODE, str(script), cwd=tmp_path, env={**os.environ, "NODE_PATH": str(home / "node_modules")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 100)
    assert proc.returncode == 0, err.decode()
    queued = await capture.queued()
    (event,) = [e for p, _, e in queued if p == capture.api.project_id and e["event"] == "$exception"]
    assert (event["distinct_id"], event["properties"]["extra"]) == ("user-42", "x")
    (exc,) = event["properties"]["$exception_list"]
    assert (exc["type"], exc["value"]) == ("Error", "boom from node")
    assert [f for f in exc["stacktrace"]["frames"] if f.get("function") == "failingFunction"]
