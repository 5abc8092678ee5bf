"""Resolution end to end: a real server, real bundler output, a real Node stack trace,
the worker processing the upload, then frames resolved over HTTP."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from symbols.symbol_sets.container import pack
from tests.support.api import process_jobs, resolve
from tests.support.bundles import DIST
from tests.support.node import map_positions, needs_node, run_script

APP_URL = "https://cdn.example.com/assets/app.js"
_FRAME = re.compile(r"^\s*at (?:(?P<fn>.+?) \()?(?P<path>/[^\s()]+):(?P<line>\d+):(?P<col>\d+)\)?$")


def stack_frames(script: Path, url: str) -> list[dict]:
    """SDK-shaped frames of the first stack trace a fixture bundle prints under Node."""
    [stack] = [o["stack"] for o in run_script(script) if "stack" in o]
    frames = []
    for line in stack.splitlines()[1:]:
        match = _FRAME.match(line)
        if match and Path(match["path"]).resolve() == script.resolve():
            frames.append({
                "platform": "node:javascript",
                "filename": url,
                "function": match["fn"],
                "lineno": int(match["line"]),
                "colno": int(match["col"]),
                "in_app": True,
            })
    return frames


def copy_bundle(tmp_path: Path, name: str) -> Path:
    for path in DIST.rglob(name + "*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / name


RESOLVED_KEYS = {
    "raw_id", "mangled_name", "line", "column", "source", "in_app", "resolved_name", "lang", "resolved",
    "resolve_failure", "context",
}


@needs_node
async def test_real_bundle_stack_trace_resolves_end_to_end(matrix_api, tmp_path):
    api = matrix_api
    script = copy_bundle(tmp_path, "app.js")
    frames = stack_frames(script, APP_URL)
    assert len(frames) >= 4
    status, _ = await api.upload("chunk-app", pack(script.with_suffix(".js.map").read_bytes(), script.read_bytes()))
    assert status == 201
    assert await process_jobs(api) == {"done": 1}
    _, listing = await api.call("GET", "symbol_sets/")
    [item] = listing["results"]
    assert item["failure_reason"] is None

    for frame in frames:
        frame["chunk_id"] = "chunk-app"
    status, body = await resolve(api, {"frames": frames, "context_lines": 2})
    assert status == 200, body
    out = body["frames"]
    assert len(out) == len(frames)
    assert all(set(f) == RESOLVED_KEYS for f in out)
    assert all(f["resolved"] and f["resolve_failure"] is None and f["lang"] == "javascript" for f in out)
    # Positions agree with Node's own SourceMap implementation.
    expected = map_positions(script.with_suffix(".js.map"), [(f["lineno"], f["colno"]) for f in frames])
    for got, want in zip(out, expected):
        assert got["source"].endswith(want[0].lstrip("./")) and (got["line"], got["column"]) == want[1:]
    # Function names from the scopes of the minified source, not the minified names.
    assert [f["resolved_name"] for f in out[:4]] == ["checkedQuantity", "lineTotal", "orderTotal", "main"]
    assert [f["mangled_name"] for f in out[:4]] == [f["function"] for f in frames[:4]]
    assert out[0]["source"].endswith("src/math.js") and out[0]["line"] == 9
    assert "throw new RangeError" in out[0]["context"]["line"]["line"]
    assert out[0]["context"]["line"]["number"] == 9
    assert [c["number"] for c in out[0]["context"]["before"]] == [7, 8]
    assert "function checkedQuantity" in out[0]["context"]["before"][0]["line"]
    assert [c["number"] for c in out[0]["context"]["after"]] == [10, 11]
    assert all(f["in_app"] for f in out)

    # The same frames named by URL instead of chunk id, after a PATCH of the ref.
    status, _ = await api.call("PATCH", f"symbol_sets/{item['id']}/", json={"ref": APP_URL})
    assert status == 200
    for frame in frames:
        del frame["chunk_id"]
    status, by_url = await resolve(api, {"frames": frames, "context_lines": 2})
    assert [f["line"] for f in by_url["frames"]] == [f["line"] for f in out]

    # The SDK's exception_list shape.
    exception = {"type": "RangeError", "value": "negative quantity", "mechanism": {"handled": True},
                 "stacktrace": {"type": "raw", "frames": frames}}
    status, body = await resolve(api, {"exception_list": [exception, {"type": "Empty", "value": "x"}]})
    assert status == 200
    [first, second] = body["exception_list"]
    assert first["type"] == "RangeError" and first["mechanism"] == {"handled": True}
    assert first["stacktrace"]["type"] == "resolved"
    assert [f["line"] for f in first["stacktrace"]["frames"]] == [f["line"] for f in out]
    assert second == {"type": "Empty", "value": "x"}

    # last_used is recorded.
    _, item = await api.call("GET", f"symbol_sets/{item['id']}/")
    assert item["last_used"] is not None


@needs_node
@pytest.mark.parametrize("with_source", [True, False], ids=["scopes", "no-scopes"])
async def test_top_level_frame_does_not_take_the_callees_name(api, tmp_path, with_source):
    """At a top-level call site the token names the callee; with scopes, top-level code
    has no function name (the frame's own, else null); without scopes the token name is
    all there is."""
    script = copy_bundle(tmp_path, "strict.min.js")
    frames = stack_frames(script, "https://cdn.example.com/strict.min.js")
    map_bytes = script.with_suffix(".js.map").read_bytes()
    await api.upload("strict", pack(map_bytes, script.read_bytes()) if with_source else map_bytes)
    await process_jobs(api)
    [explode, top] = frames
    assert top["function"] == "Object.<anonymous>"
    anonymous = dict(top, function=None, chunk_id="strict")
    status, body = await resolve(api, {"frames": [dict(explode, chunk_id="strict"), dict(top, chunk_id="strict"),
                                                  anonymous]})
    assert status == 200
    out = body["frames"]
    assert [f["resolved"] for f in out] == [True, True, True]
    assert out[0]["resolved_name"] == "explode"
    assert (out[1]["source"], out[1]["line"]) == ("src/strict.js", 12)
    assert out[1]["context"] is None  # the map has no sourcesContent
    if with_source:
        assert out[1]["resolved_name"] == "Object.<anonymous>"
        assert out[2]["resolved_name"] is None
    else:
        assert out[1]["resolved_name"] == "explode"
        assert out[2]["resolved_name"] == "explode"
