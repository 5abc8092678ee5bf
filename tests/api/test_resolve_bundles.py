"""Real bundles of src/naming.js (webpack+terser, SWC, esbuild, Rollup+terser;
tests/fixtures/build/naming, rebuilt by generate.sh) and the traces Node and headless
Chromium printed running them (``<tool>.stack.json``, ``<tool>.chromium.stack.json``):
every frame in the bundle resolves to the call (line and column) on the line of its
``// FRAME <name>`` marker in the original source, named as the marker says (constructors,
private methods, methods of object literals, members copied by Object.assign, a function
terser inlined)."""

from __future__ import annotations

import json

import pytest

from symbols.stacktrace import parse
from symbols.symbol_sets.container import pack
from tests.support.api import process_jobs, resolve
from tests.support.bundles import DIST

NAMING = DIST.parent / "naming"
SOURCE = DIST.parent / "project" / "src" / "naming.js"
LINES = SOURCE.read_text().splitlines()
MARKERS = {line.split("// FRAME ", 1)[1].strip(): number for number, line in enumerate(LINES, 1) if "// FRAME " in line}
TOP = LINES.index("console.log(JSON.stringify({ stack: runNaming() }));") + 1


def at(line: int, text: str) -> tuple[int, int]:
    """The 1-based line and column of ``text`` on that line of the original source."""
    return line, LINES[line - 1].index(text) + 1


# Innermost first, as V8 prints them: every marked call, where V8 places it (a new
# expression's start, a method call's property name).
CALLS = [("Basket.#check", "new Error"), ("new Basket", "#check()"), ("handlers.onReserve", "new Basket"),
         ("api.reserve", "onReserve(slot)"), ("runNaming", "reserve({")]
# Terser (webpack) made onReserve a function of its own: its call maps to the expression's start.
WEBPACK_CALLS = {"api.reserve": "handlers.onReserve(slot)"}
# Then the module's top level, named as the runtime named it (Node's CommonJS wrapper,
# webpack's arrow; a script's top level has no name), and webpack's bootstrap call, which
# its map leaves unmapped.
TOP_CALL = at(TOP, "runNaming()")
TOP_LEVEL = {
    **{("webpack", runtime): [(*TOP_CALL, "<anonymous>"), "TokenNotFound"] for runtime in ("node", "chromium")},
    **{(tool, "node"): [(*TOP_CALL, "Object.<anonymous>")] for tool in ("swc", "esbuild", "rollup")},
    **{(tool, "chromium"): [(*TOP_CALL, None)] for tool in ("swc", "esbuild", "rollup")},
}


@pytest.mark.parametrize("runtime", ["node", "chromium"])
@pytest.mark.parametrize("tool", ["webpack", "swc", "esbuild", "rollup"])
async def test_every_frame_of_a_real_trace_is_placed_and_named(api, tool, runtime):
    script, source_map = (NAMING / f"{tool}.cjs").read_bytes(), (NAMING / f"{tool}.cjs.map").read_bytes()
    await api.upload(f"naming-{tool}", pack(source_map, script))
    await process_jobs(api)
    trace = f"{tool}.stack.json" if runtime == "node" else f"{tool}.chromium.stack.json"
    stack = json.loads((NAMING / trace).read_text())["stack"]
    frames = [f for f in parse(stack).frames if f.filename and f.filename.endswith(f"naming/{tool}.cjs")]
    platform = "node:javascript" if runtime == "node" else "web:javascript"
    request = [{"platform": platform, "filename": f.filename, "function": f.function,
                "lineno": f.lineno, "colno": f.colno, "chunk_id": f"naming-{tool}"} for f in frames]
    status, body = await resolve(api, {"frames": request})
    assert status == 200
    frames = body["frames"]
    calls = WEBPACK_CALLS if tool == "webpack" else {}
    expected = [(*at(MARKERS[name], calls.get(name, text)), name) for name, text in CALLS]
    assert [(f["line"], f["column"], f["resolved_name"]) for f in frames[:5]] == expected
    rest = [(f["line"], f["column"], f["resolved_name"]) if f["resolved"] else f["resolve_failure"]
            for f in frames[5:]]
    assert rest == TOP_LEVEL[tool, runtime]
    assert all(f["source"].endswith("src/naming.js") for f in frames if f["resolved"])
