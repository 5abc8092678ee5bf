"""symbols.stacktrace: text traces from Node (real, produced here), Firefox and Safari."""

from __future__ import annotations

import json
import subprocess

import pytest

from symbols.stacktrace import GECKO, V8, FrameLine, parse, parse_line, script_path
from tests.support.bundles import DIST
from tests.support.node import NODE, needs_node, run_script


def positions(trace: str) -> list[tuple[str | None, str | None, int | None, int | None]]:
    return [(f.function, f.filename, f.lineno, f.colno) for f in parse(trace).frames]


# --- real V8 traces --------------------------------------------------------------------


@needs_node
def test_node_cjs_bundle() -> None:
    script = DIST / "cli.cjs"
    stack = run_script(script)[0]["stack"]
    trace = parse(stack)
    assert trace.lines[0] == "RangeError: negative quantity for pie"
    frames = trace.frames
    assert len(frames) == len(stack.splitlines()) - 1
    assert [(f.function, f.lineno, f.colno) for f in frames[:4]] == [
        ("i", 2, 71), ("e", 2, 30), ("o", 2, 179), ("Object.<anonymous>", 2, 197),
    ]
    assert all(f.filename == str(script) and f.style == V8 for f in frames[:4])
    assert all(f.resolvable and f.platform == "node:javascript" for f in frames[:4])
    # Node's own frames parse but are not worth sending.
    internal = frames[4]
    assert internal.filename == "node:internal/modules/cjs/loader" and not internal.resolvable
    assert frames[-1].function is None and frames[-1].filename == "node:internal/main/run_main_module"


@needs_node
def test_node_esm_bundle_file_urls_anonymous_and_async() -> None:
    script = DIST / "esm.mjs"
    stack = next(r["stack"] for r in run_script(script) if "stack" in r)
    frames = parse(stack).frames
    url = script.as_uri()
    assert positions(stack)[:5] == [
        ("i", url, 1, 71), ("a", url, 1, 30), ("r", url, 1, 179), ("c", url, 1, 392), (None, url, 1, 599),
    ]
    assert script_path(frames[0].filename) == str(script)
    asyncs = [f for f in frames if f.is_async]
    assert asyncs and all(f.filename.startswith("node:") for f in asyncs)


@needs_node
def test_node_bundle_with_a_path_and_anonymous_function() -> None:
    script = DIST / "assets" / "app.js"
    stack = next(r["stack"] for r in run_script(script) if "stack" in r)
    frames = parse(stack).frames
    assert (frames[4].function, frames[4].filename, frames[4].lineno, frames[4].colno) == (None, str(script), 1, 605)
    assert frames[4].render(function="main", filename="src/index.js", lineno=20, colno=3) == (
        "    at main (src/index.js:20:3)"
    )


V8_FORMS = """
class Foo { constructor() { throw new Error("in ctor"); } }
const out = [];
try { new Foo(); } catch (e) { out.push(e.stack); }
try { eval("(function inner(){ throw new Error('in eval') })()"); } catch (e) { out.push(e.stack); }
try { new Function("throw new Error('in fn')")(); } catch (e) { out.push(e.stack); }
try { [1].map(function (x) { throw new Error("in map"); }); } catch (e) { out.push(e.stack); }
async function a1() { await null; throw new Error("async"); }
async function a2() { await a1(); }
a2().catch((e) => { out.push(e.stack); console.log(JSON.stringify(out)); });
"""


@pytest.fixture(scope="module")
def v8_stacks(tmp_path_factory) -> list[str]:
    if NODE is None:
        pytest.skip("node is not installed: stack traces cannot be produced")
    script = tmp_path_factory.mktemp("v8") / "forms.js"
    script.write_text(V8_FORMS)
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=100, check=True)
    return [*json.loads(done.stdout), str(script)]


def test_node_constructor_frame(v8_stacks) -> None:
    *stacks, script = v8_stacks
    frame = parse(stacks[0]).frames[0]
    assert frame.text == f"    at new Foo ({script}:2:35)"
    assert (frame.function, frame.is_constructor, frame.lineno, frame.colno) == ("Foo", True, 2, 35)
    assert frame.render(function="Cart", filename="src/cart.js", lineno=1, colno=2) == (
        "    at new Cart (src/cart.js:1:2)"
    )


def test_node_eval_frames_point_at_the_eval_call(v8_stacks) -> None:
    *stacks, script = v8_stacks
    inner, outer, caller = parse(stacks[1]).frames[:3]
    assert inner.text == f"    at inner (eval at <anonymous> ({script}:5:7), <anonymous>:1:26)"
    assert (inner.function, inner.filename, inner.lineno, inner.colno, inner.is_eval) == (
        "inner", script, 5, 7, True,
    )
    assert (outer.function, outer.lineno, outer.colno, outer.is_eval) == ("eval", 5, 7, True)
    assert not caller.is_eval
    assert inner.render(function="load", filename="src/a.js", lineno=3, colno=4) == (
        "    at inner (eval at load (src/a.js:3:4), <anonymous>:1:26)"
    )
    fn = parse(stacks[2]).frames[0]  # new Function(...) reads like an eval
    assert (fn.function, fn.lineno, fn.colno, fn.is_eval) == ("eval", 6, 7, True)


def test_node_anonymous_and_native_frames(v8_stacks) -> None:
    *stacks, script = v8_stacks
    anonymous, native = parse(stacks[3]).frames[:2]
    assert (anonymous.function, anonymous.filename, anonymous.lineno, anonymous.colno) == (None, script, 7, 36)
    assert (native.function, native.filename, native.resolvable) == ("Array.map", None, False)
    assert native.text == "    at Array.map (<anonymous>)"


def test_node_async_frames(v8_stacks) -> None:
    *stacks, _ = v8_stacks
    first, second = parse(stacks[4]).frames
    assert (first.function, first.is_async) == ("a1", False)
    assert (second.function, second.is_async, second.lineno, second.colno) == ("a2", True, 9, 23)
    assert second.render(function="checkout", filename="src/a.js", lineno=1, colno=1) == (
        "    at async checkout (src/a.js:1:1)"
    )


# --- hand-written V8 edge cases ----------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("    at fn (C:\\Users\\me\\app\\dist\\main.js:10:5)", ("fn", "C:\\Users\\me\\app\\dist\\main.js", 10, 5)),
    ("    at file:///C:/app/dist/main.js:1:2", (None, "file:///C:/app/dist/main.js", 1, 2)),
    ("    at Foo.bar [as baz] (http://host:8080/a.js:1:2)", ("Foo.bar [as baz]", "http://host:8080/a.js", 1, 2)),
    ("    at http://host:8080/static/a.js?v=3:12:40", (None, "http://host:8080/static/a.js?v=3", 12, 40)),
    ("    at fn (/Users/me/My Project/a.js:3:4)", ("fn", "/Users/me/My Project/a.js", 3, 4)),
    ("    at async Promise.all (index 0)", ("Promise.all", None, None, None)),
    ("    at new Promise (<anonymous>)", ("Promise", None, None, None)),
    ("    at Generator.next (native)", ("Generator.next", None, None, None)),
    ("    at <anonymous>", (None, None, None, None)),
    ("\tat Object.<anonymous> (/a.js:1:2)", ("Object.<anonymous>", "/a.js", 1, 2)),
    ("    at x (webpack-internal:///./src/a.js:4:9)", ("x", "webpack-internal:///./src/a.js", 4, 9)),
])
def test_v8_edge_cases(line: str, expected: tuple) -> None:
    frame = parse_line(line)
    assert frame is not None and frame.style == V8
    assert (frame.function, frame.filename, frame.lineno, frame.colno) == expected


def test_nested_eval_takes_the_script_position() -> None:
    frame = parse_line("    at eval (eval at <anonymous> (eval at outer (http://x/y.js:10:5)), <anonymous>:1:1)")
    assert (frame.filename, frame.lineno, frame.colno, frame.is_eval) == ("http://x/y.js", 10, 5, True)
    assert frame.render(function="setup", filename="src/y.ts", lineno=2, colno=3) == (
        "    at eval (eval at <anonymous> (eval at setup (src/y.ts:2:3)), <anonymous>:1:1)"
    )


@pytest.mark.parametrize("line", [
    "Error: boom",
    "TypeError: x is not a function at line 3",
    "    at least this is prose",
    "",
    "/work/app/cli.cjs:2",
    "    ^",
    "Node.js v20.11.0",
    "Error: mail me@example.com:12:4",
])
def test_not_frames(line: str) -> None:
    assert parse_line(line) is None
    assert parse(line + "\n").lines == (line,)


def test_lines_are_kept_in_order() -> None:
    text = "Error: boom\n    at a (/x.js:1:2)\n\nCaused by: Error: inner\n    at b (/x.js:3:4)\n"
    lines = parse(text).lines
    assert [line if isinstance(line, str) else line.function for line in lines] == [
        "Error: boom", "a", "", "Caused by: Error: inner", "b",
    ]


# --- Firefox and Safari (written after their documented formats) ----------------------------

FIREFOX = """\
ShoppingCart.prototype.total@http://localhost:8080/assets/app.js:1:77
lineTotal/<@http://localhost:8080/assets/app.js:1:36
async*checkout@http://localhost:8080/assets/app.js:1:185
promise callback*main@http://localhost:8080/assets/app.js:1:398
@http://localhost:8080/assets/app.js:1:605
evaluated@http://localhost:8080/assets/app.js line 12 > eval:1:5
@debugger eval code:1:1
"""

SAFARI = """\
total@https://shop.example/assets/app.js:1:77
@https://shop.example/assets/app.js:1:36
forEach@[native code]
global code@https://shop.example/assets/app.js:1:605
eval code@
"""


def test_firefox() -> None:
    frames = parse(FIREFOX).frames
    assert all(f.style == GECKO for f in frames)
    app = "http://localhost:8080/assets/app.js"
    assert [(f.function, f.filename, f.lineno, f.colno, f.is_async) for f in frames[:5]] == [
        ("ShoppingCart.prototype.total", app, 1, 77, False),
        ("lineTotal/<", app, 1, 36, False),
        ("checkout", app, 1, 185, True),
        ("main", app, 1, 398, True),
        (None, app, 1, 605, False),
    ]
    assert frames[0].platform == "web:javascript"
    assert script_path(app) == "/assets/app.js"
    evaluated = frames[5]
    assert evaluated.is_eval and not evaluated.resolvable  # no column of the script
    assert frames[2].render(function="Cart.checkout", filename="src/cart.js", lineno=3, colno=9) == (
        "async*Cart.checkout@src/cart.js:3:9"
    )
    assert frames[4].render(function="main", filename="src/index.js", lineno=1, colno=1) == (
        "main@src/index.js:1:1"
    )
    assert frames[4].render(function=None, filename="src/index.js", lineno=1, colno=1) == "@src/index.js:1:1"


def test_safari() -> None:
    trace = parse(SAFARI)
    frames = trace.frames
    site = "https://shop.example/assets/app.js"
    assert [(f.function, f.filename, f.lineno, f.colno) for f in frames[:4]] == [
        ("total", site, 1, 77), (None, site, 1, 36), ("forEach", None, None, None), ("global code", site, 1, 605),
    ]
    assert trace.lines[-1] == "eval code@"  # no location at all: kept as text
    assert frames[3].render(function="main", filename="src/index.js", lineno=2, colno=1) == "main@src/index.js:2:1"


def test_old_gecko_without_column_is_kept_but_not_sent() -> None:
    frame = parse_line("fn@http://x/a.js:10")
    assert (frame.filename, frame.lineno, frame.colno, frame.resolvable) == ("http://x/a.js", 10, None, False)


@pytest.mark.parametrize(("filename", "path"), [
    ("http://host:8080/static/a.js?v=1#x", "/static/a.js"),
    ("file:///work/dist/esm.mjs", "/work/dist/esm.mjs"),
    ("file:///C:/app/dist/main.js", "C:/app/dist/main.js"),
    ("C:\\app\\dist\\main.js", "C:/app/dist/main.js"),
    ("/work/dist/cli.cjs", "/work/dist/cli.cjs"),
    ("http://host/a%20b.js", "/a b.js"),
])
def test_script_path(filename: str, path: str) -> None:
    assert script_path(filename) == path


def test_frame_is_frozen() -> None:
    frame = parse_line("    at a (/x.js:1:2)")
    assert isinstance(frame, FrameLine)
    with pytest.raises(AttributeError):
        frame.lineno = 3  # type: ignore[misc]
