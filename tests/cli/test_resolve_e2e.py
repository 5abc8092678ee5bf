"""`symbols resolve` end to end on the real service: inject, upload, run the injected
bundles under Node for real stack traces, resolve them with --directory.

Expected positions come from Node's own SourceMap class (tests/support/node_map.cjs), an
implementation independent of ours; expected names are the functions of the original
sources (tests/fixtures/build/project/src).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symbols.stacktrace import parse
from tests.support.cli import run_cli
from tests.support.node import frames_in, map_positions, needs_node, run_script
from tests.support.service import Service, injected

pytestmark = needs_node


@pytest.fixture(params=["local", "s3"])
def uploaded(request, tmp_path: Path, build_dir: Path):
    """The service (local blob store or moto S3) holding the injected build."""
    overrides = {} if request.param == "local" else request.getfixturevalue("s3_bucket").settings_overrides("symbols")
    service = Service(tmp_path / "data", overrides).start()
    pairs = injected(build_dir)
    result = run_cli("sourcemap", "upload", "-d", str(build_dir), env=service.env())
    assert result.exit_code == 0, result.output
    yield service, build_dir, pairs
    service.stop()


def stack_of(script: Path) -> str:
    return next(o["stack"] for o in run_script(script) if "stack" in o)


# Original function of each frame in the traces the bundles print (src/math.js, src/index.js).
ESM_NAMES = ["checkedQuantity", "lineTotal", "orderTotal", "main"]


def test_resolve_a_real_node_trace(uploaded) -> None:
    service, build_dir, pairs = uploaded
    script = build_dir / "esm.mjs"
    stack = stack_of(script)
    positions = frames_in(stack, script)
    expected = map_positions(pairs["esm.mjs"].map, positions)
    assert len(positions) == 5 and all(expected)

    result = run_cli("resolve", "-d", str(build_dir), env=service.env(), input=stack)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    lines = stack.splitlines()
    assert len(out) == len(lines) and out[0] == lines[0] == "RangeError: negative quantity for cake"
    for i, name in enumerate(ESM_NAMES):
        source, line, column = expected[i]
        printed = parse(out[i + 1]).frames[0]
        assert printed.function == name, out[i + 1]
        assert printed.filename.endswith(source.split("/")[-1]), out[i + 1]
        assert (printed.lineno, printed.colno) == (line, column), out[i + 1]
    # The top-level call (`main();`) is anonymous in the trace; it resolves to index.js.
    top = parse(out[5]).frames[0]
    assert top.filename.endswith("index.js") and (top.lineno, top.colno) == expected[4][1:]
    # Node's own frames are kept exactly.
    assert out[6:] == lines[6:]
    assert result.stderr.strip() == "resolved 5 of 5 frame(s)"


def test_resolve_json_and_context(uploaded) -> None:
    service, build_dir, pairs = uploaded
    script = build_dir / "cli.cjs"
    stack = stack_of(script)
    positions = frames_in(stack, script)
    expected = map_positions(pairs["cli.cjs"].map, positions)

    result = run_cli("resolve", "--json", "--context", "2", "-d", str(build_dir), env=service.env(), input=stack)
    assert result.exit_code == 0, result.output
    frames = json.loads(result.stdout)["frames"]
    assert len(frames) == len(positions)
    assert all(f["resolved"] and f["resolve_failure"] is None for f in frames)
    assert [f["resolved_name"] for f in frames[:3]] == ["checkedQuantity", "lineTotal", "orderTotal"]
    for frame, (source, line, column) in zip(frames, expected, strict=True):
        assert frame["source"].endswith(source.split("/")[-1])
        assert (frame["line"], frame["column"]) == (line, column)
    focus = frames[0]["context"]["line"]
    assert focus["number"] == expected[0][1] and "throw new RangeError" in focus["line"]
    assert len(frames[0]["context"]["before"]) == 2 and len(frames[0]["context"]["after"]) == 2

    text = run_cli("resolve", "--context", "1", "-d", str(build_dir), env=service.env(), input=stack)
    assert text.exit_code == 0, text.output
    out = text.stdout.splitlines()
    assert out[1].startswith("    at checkedQuantity (") and out[1].endswith(f":{expected[0][1]}:{expected[0][2]})")
    marked = [line for line in out[2:5] if line.lstrip().startswith(">")]
    assert len(marked) == 1 and "throw new RangeError" in marked[0]


def test_browser_trace_served_from_a_url(uploaded) -> None:
    """The same real frames as Firefox prints them for a script served over HTTP: the
    chunk id is found by the URL's path ending like assets/app.js under --directory."""
    service, build_dir, pairs = uploaded
    script = build_dir / "assets" / "app.js"
    stack = stack_of(script)
    frames = [f for f in parse(stack).frames if f.filename == str(script)]
    url = "https://shop.example:8443/static/assets/app.js?v=9"
    firefox = "\n".join(f"{f.function or ''}@{url}:{f.lineno}:{f.colno}" for f in frames) + "\n"
    expected = map_positions(pairs["assets/app.js"].map, [(f.lineno, f.colno) for f in frames])

    result = run_cli("resolve", "-d", str(build_dir), env=service.env(), input=firefox)
    assert result.exit_code == 0, result.output
    out = [parse(line).frames[0] for line in result.stdout.splitlines()]
    assert len(out) == len(frames) >= 5 and all(f.style == "gecko" for f in out)
    assert [f.function for f in out[:4]] == ESM_NAMES
    for printed, (source, lineno, colno) in zip(out, expected, strict=True):
        assert printed.filename.endswith(source.split("/")[-1]) and not printed.filename.startswith("https:")
        assert (printed.lineno, printed.colno) == (lineno, colno)
    assert result.stderr.strip() == f"resolved {len(frames)} of {len(frames)} frame(s)"


def test_unknown_scripts_are_reported_unresolved(uploaded, tmp_path: Path) -> None:
    service, build_dir, _ = uploaded
    # Without --directory, the frames carry only their file path, which no symbol set has
    # as its ref: every frame comes back unresolved, printed as it came.
    stack = stack_of(build_dir / "rollup.cjs")
    result = run_cli("resolve", env=service.env(), input=stack)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    script_lines = [line for line in stack.splitlines()[1:] if str(build_dir) in line]
    assert script_lines
    for line in script_lines:
        assert f"{line} [unresolved: NoSourcemapUploaded]" in out


def test_explain_says_why(uploaded) -> None:
    service, build_dir, _ = uploaded
    stack = stack_of(build_dir / "esm.mjs")
    result = run_cli("resolve", "--explain", "-d", str(build_dir), env=service.env(), input=stack)
    assert result.exit_code == 0, result.output
    assert any(line.lstrip().startswith("explain ") for line in result.stdout.splitlines())


def test_api_errors_on_the_real_service(uploaded) -> None:
    service, _, _ = uploaded
    trace = "Error\n    at f (http://x/a.js:1:2)\n"
    bad_key = run_cli("resolve", env=service.env(SYMBOLS_TOKEN="phx_nope"), input=trace)
    assert bad_key.exit_code == 1
    assert bad_key.stderr.startswith(f"Error: authentication failed: the key was rejected by {service.host} (")
    for project in (service.other_project, "999"):
        hidden = run_cli("resolve", env=service.env(SYMBOLS_PROJECT=project), input=trace)
        assert hidden.exit_code == 1
        assert hidden.stderr.strip() == (
            f"Error: project '{project}' was not found on {service.host}, or this key cannot see it"
        )
    # A read-only key is enough to resolve.
    assert run_cli("resolve", env=service.env(SYMBOLS_TOKEN=service.read_only_token), input=trace).exit_code == 0
    # The API's validation detail is shown.
    invalid = run_cli("resolve", env=service.env(), input="Error\n    at f (http://x/a.js:0:2)\n")
    assert invalid.exit_code == 1
    assert len(invalid.stderr.strip().splitlines()) == 1 and "lineno" in invalid.stderr
