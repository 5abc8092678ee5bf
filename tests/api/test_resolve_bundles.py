"""Real bundles of src/naming.js (webpack+terser, SWC, esbuild; tests/fixtures/build/naming,
rebuilt by generate.sh) and the traces Node printed running them (``*.stack.json``):
every frame in the bundle resolves to the line of its ``// FRAME <name>`` marker in the
original source, named as the marker says (constructors, private methods, methods of
object literals, members copied by Object.assign, a function terser inlined)."""

from __future__ import annotations

import json

import pytest

from symbols.stacktrace import parse
from symbols.symbol_sets.container import pack
from tests.support.api import process_jobs, resolve
from tests.support.bundles import DIST

NAMING = DIST.parent / "naming"
SOURCE = DIST.parent / "project" / "src" / "naming.js"
MARKERS = {
    number: line.split("// FRAME ", 1)[1].strip()
    for number, line in enumerate(SOURCE.read_text().splitlines(), 1) if "// FRAME " in line
}


@pytest.mark.parametrize("tool", ["webpack", "swc", "esbuild"])
async def test_every_frame_of_a_real_trace_is_placed_and_named(api, tool):
    script, source_map = (NAMING / f"{tool}.cjs").read_bytes(), (NAMING / f"{tool}.cjs.map").read_bytes()
    await api.upload(f"naming-{tool}", pack(source_map, script))
    await process_jobs(api)
    stack = json.loads((NAMING / f"{tool}.stack.json").read_text())["stack"]
    frames = [f for f in parse(stack).frames if f.filename and f.filename.endswith(f"naming/{tool}.cjs")]
    request = [{"platform": "node:javascript", "filename": f.filename, "function": f.function,
                "lineno": f.lineno, "colno": f.colno, "chunk_id": f"naming-{tool}"} for f in frames]
    status, body = await resolve(api, {"frames": request})
    assert status == 200
    placed = [(f["line"], f["resolved_name"]) for f in body["frames"] if f["line"] in MARKERS]
    # Innermost first, as V8 prints them: every marker once, by its name.
    calls = ["Basket.#check", "new Basket", "handlers.onReserve", "api.reserve", "runNaming"]
    by_name = {name: line for line, name in MARKERS.items()}
    assert placed == [(by_name[name], name) for name in calls]
    assert all(f["resolved"] and f["source"].endswith("src/naming.js") for f in body["frames"][:5])
