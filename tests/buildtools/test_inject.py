"""symbols.inject on real bundler output (tests/fixtures/build, see generate.sh there)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbols import files
from symbols.buildtools import inject as inj
from symbols.buildtools.inject import PairState
from symbols.sourcemaps.vlq import encode_value
from tests.support.bundles import DIST, snapshot
from tests.support.node import frames_in, map_positions, needs_node, run_script

SCRIPTS = ["assets/app.js", "cli.cjs", "esm.mjs", "rollup.cjs", "strict.min.js", "concat.js"]
ROLLUP_DEBUG_ID = "ed3681f2-ec93-474e-8570-0e27be1b8f32"


def inject_all(directory: Path, *, dry_run: bool = False) -> list[inj.Outcome]:
    result = inj.scan(directory)
    assert not result.problems, result.problems
    return [inj.inject(p, dry_run=dry_run) for p in result.pairs]


def rel(directory: Path, path: Path) -> str:
    return path.relative_to(directory).as_posix()


# --- pairing ----------------------------------------------------------------------------


def test_scan_pairs_every_script_with_its_map(build_dir: Path) -> None:
    result = inj.scan(build_dir)
    pairs = {rel(build_dir, p.script): rel(build_dir, p.map) for p in result.pairs}
    assert pairs == {
        "assets/app.js": "assets/app.js.map",  # sourceMappingURL, relative to the script
        "cli.cjs": "cli.cjs.map",  # no comment: <file>.map beside it
        "concat.js": "concat.js.map",
        "esm.mjs": "esm.mjs.map",
        "rollup.cjs": "rollup.cjs.map",
        "strict.min.js": "strict.min.js.map",
    }
    assert all(p.state is PairState.NEW for p in result.pairs)
    assert [(rel(build_dir, s.script), s.reason) for s in result.skipped] == [
        ("nomap.js", "no source map")
    ]
    assert result.problems == []


def test_chunk_ids_reuse_debug_id_else_content_uuid5(build_dir: Path) -> None:
    ids = {rel(build_dir, p.script): p.chunk_id for p in inj.scan(build_dir).pairs}
    assert ids["rollup.cjs"] == ROLLUP_DEBUG_ID
    app = (build_dir / "assets/app.js").read_bytes()
    assert ids["assets/app.js"] == inj.content_chunk_id(app)
    # Deterministic (same bytes, same id, anywhere), version 5, and distinct per content.
    assert inj.content_chunk_id(app) == inj.content_chunk_id(bytes(app))
    assert ids["assets/app.js"][14] == "5"
    assert len(set(ids.values())) == len(ids)


def test_inline_and_dangling_map_references_are_skipped(build_dir: Path) -> None:
    (build_dir / "inline.js").write_text(
        "x();\n//# sourceMappingURL=data:application/json;base64,e30=\n"
    )
    (build_dir / "dangling.js").write_text("y();\n//# sourceMappingURL=gone.js.map\n")
    skipped = {rel(build_dir, s.script): s.reason for s in inj.scan(build_dir).skipped}
    assert skipped["inline.js"].startswith("inline data: source map")
    assert skipped["dangling.js"] == "its sourceMappingURL 'gone.js.map' names no file here"


# --- injecting ----------------------------------------------------------------------------


def test_inject_writes_prologue_comment_and_map_chunk_id(build_dir: Path) -> None:
    before = (build_dir / "assets/app.js").read_text()
    outcomes = inject_all(build_dir)
    assert {rel(build_dir, o.pair.script) for o in outcomes} == set(SCRIPTS)
    assert all(o.changed_script and o.changed_map for o in outcomes)
    app = next(o.pair for o in outcomes if o.pair.script.name == "app.js")
    text = (build_dir / "assets/app.js").read_text()
    assert text == inj.prologue(app.chunk_id) + "\n" + before + f"//# chunkId={app.chunk_id}\n"
    doc = json.loads((build_dir / "assets/app.js.map").read_text())
    assert doc["chunk_id"] == app.chunk_id
    original = json.loads((DIST / "assets" / "app.js.map").read_text())
    assert doc["mappings"] == ";" + original["mappings"]
    assert doc["sources"] == original["sources"]
    assert inj.trailing_comments(text)["chunkId"] == app.chunk_id
    assert inj.trailing_comments(text)["sourceMappingURL"] == "app.js.map"


def test_shebang_stays_first_and_mode_is_kept(build_dir: Path) -> None:
    script = build_dir / "cli.cjs"
    mode = stat.S_IMODE(script.stat().st_mode)
    original = script.read_text().splitlines()
    inject_all(build_dir)
    lines = script.read_text().splitlines()
    chunk_id = inj.trailing_comments(script.read_text())["chunkId"]
    assert lines[0] == "#!/usr/bin/env node"
    assert lines[1] == inj.prologue(chunk_id)
    assert lines[2:-1] == original[1:]
    assert stat.S_IMODE(script.stat().st_mode) == mode
    doc = json.loads((build_dir / "cli.cjs.map").read_text())
    source = json.loads((DIST / "cli.cjs.map").read_text())
    first, rest = source["mappings"].split(";", 1)
    assert doc["mappings"] == first + ";;" + rest


def test_use_strict_directive_stays_first(build_dir: Path) -> None:
    inject_all(build_dir)
    strict = (build_dir / "strict.min.js").read_text()
    assert strict.startswith('"use strict";' + inj.prologue(inj.trailing_comments(strict)["chunkId"]) + "\nfunction isStrict")
    rollup = (build_dir / "rollup.cjs").read_text()
    assert rollup.startswith("'use strict';\n" + inj.prologue(ROLLUP_DEBUG_ID) + "\n\n// Arithmetic")


def test_index_map_sections_are_shifted(build_dir: Path) -> None:
    original = json.loads((build_dir / "concat.js.map").read_text())
    inject_all(build_dir)
    doc = json.loads((build_dir / "concat.js.map").read_text())
    # The directive ends mid-line inside section 0: its line splits; section 1 moves down.
    assert [s["offset"] for s in doc["sections"]] == [
        {"line": 0, "column": 0},
        {"line": original["sections"][1]["offset"]["line"] + 1, "column": 0},
    ]
    assert doc["sections"][1]["map"] == original["sections"][1]["map"]
    assert doc["sections"][0]["map"]["mappings"] != original["sections"][0]["map"]["mappings"]
    assert "chunk_id" not in doc["sections"][0]["map"]


def _mapped_stacks(script: Path, map_path: Path) -> tuple[list, list, list[dict]]:
    out = run_script(script)
    frames = [frames_in(o["stack"], script) for o in out if "stack" in o]
    return frames, [map_positions(map_path, f) for f in frames], out


@needs_node
@pytest.mark.parametrize("name", SCRIPTS)
def test_stack_positions_map_to_the_same_original_positions(build_dir: Path, name: str) -> None:
    """Node's own SourceMap maps the frames of real stack traces, before and after."""
    script = build_dir / name
    pair = next(p for p in inj.scan(build_dir).pairs if p.script == script)
    frames_before, before, _ = _mapped_stacks(script, pair.map)
    inj.inject(pair)
    frames_after, after, out = _mapped_stacks(script, pair.map)

    assert all(len(f) >= 2 for f in frames_before)
    assert frames_after != frames_before  # the frames did move
    assert after == before
    assert all(None not in positions for positions in after)
    throwers = [(positions[0][0].rsplit("/", 2)[-1], positions[0][1]) for positions in after]
    expected = {
        "strict.min.js": [("strict.js", 8)],
        "concat.js": [("strict.js", 8), ("math.js", 9)],  # one stack per section
    }.get(name, [("math.js", 9)])  # the `throw` lines in src/
    assert throwers == expected
    # The prologue registered the chunk id, and strict mode survived.
    assert out[-1] == {"chunkIds": [pair.chunk_id]}
    if name in ("strict.min.js", "concat.js"):
        assert out[0] == {"strict": True}


# --- idempotence, dry run, atomicity, bad input --------------------------------------------


def test_second_run_changes_nothing(build_dir: Path) -> None:
    inject_all(build_dir)
    after_first = snapshot(build_dir)
    result = inj.scan(build_dir)
    assert all(p.state is PairState.INJECTED for p in result.pairs)
    outcomes = [inj.inject(p) for p in result.pairs]
    assert not any(o.changed_script or o.changed_map for o in outcomes)
    assert snapshot(build_dir) == after_first


def test_dry_run_changes_nothing(build_dir: Path) -> None:
    before = snapshot(build_dir)
    mtimes = {p: p.stat().st_mtime_ns for p in build_dir.rglob("*")}
    outcomes = inject_all(build_dir, dry_run=True)
    assert len(outcomes) == len(SCRIPTS) and all(o.changed_script for o in outcomes)
    assert snapshot(build_dir) == before
    assert {p: p.stat().st_mtime_ns for p in build_dir.rglob("*")} == mtimes


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'{"version":3,"mappings":"AAAA', "invalid_json: not valid JSON: unexpected end of data"),
        (b"[1, 2]", "invalid_json: expected a JSON object, got list"),
        (b'{"version":2,"mappings":"AAAA","sources":[]}',
         "invalid_version: map: `version` must be the number 3, got 2"),
        (b'{"version":3,"sources":[]}', "missing_field: map: `mappings` is missing"),
        (b'{"version":3,"mappings":"AA!A","sources":[]}',
         "invalid_vlq: map: mappings: invalid character '!' at offset 2"),
        (b'{"version":3,"sections":[{"offset":{"line":0},"map":{}}]}',
         "invalid_sections: sections[0]: `offset.column` must be a non-negative integer, got None"),
    ],
)
def test_invalid_map_is_reported_and_pair_untouched(build_dir: Path, content: bytes, reason: str) -> None:
    (build_dir / "esm.mjs.map").write_bytes(content)
    before = snapshot(build_dir)
    result = inj.scan(build_dir)
    assert [rel(build_dir, p.path) for p in result.problems] == ["esm.mjs"]
    assert result.problems[0].reason.startswith(f"{build_dir / 'esm.mjs.map'} is not a valid source map: ")
    assert reason in result.problems[0].reason
    assert "esm.mjs" not in {p.script.name for p in result.pairs}
    for pair in result.pairs:
        inj.inject(pair)
    after = snapshot(build_dir)
    assert after["esm.mjs"] == before["esm.mjs"]
    assert after["esm.mjs.map"] == before["esm.mjs.map"]
    assert after["assets/app.js"] != before["assets/app.js"]  # the others were injected


def test_failed_write_leaves_original_and_no_temp_file(build_dir: Path, monkeypatch) -> None:
    pair = next(p for p in inj.scan(build_dir).pairs if p.script.name == "esm.mjs")
    before = snapshot(build_dir)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)  # a fault we cannot otherwise cause
    with pytest.raises(OSError):
        inj.inject(pair)
    assert snapshot(build_dir) == before


def test_map_is_completed_after_crash_between_writes(build_dir: Path, tmp_path: Path) -> None:
    """Script written, map not (a crash in between): the next run finishes the map."""
    reference = tmp_path / "reference"
    import shutil

    shutil.copytree(build_dir, reference)
    inject_all(reference)

    pair = next(p for p in inj.scan(build_dir).pairs if p.script.name == "rollup.cjs")
    new_text, _ = inj.plan(pair)
    inj.write_file(pair.script, new_text.encode())
    again = next(p for p in inj.scan(build_dir).pairs if p.script.name == "rollup.cjs")
    assert again.state is PairState.MAP_PENDING
    outcome = inj.inject(again)
    assert (outcome.changed_script, outcome.changed_map) == (False, True)
    assert (build_dir / "rollup.cjs").read_bytes() == (reference / "rollup.cjs").read_bytes()
    assert (build_dir / "rollup.cjs.map").read_bytes() == (reference / "rollup.cjs.map").read_bytes()


def test_map_with_chunk_id_but_plain_script_is_a_problem(build_dir: Path) -> None:
    inject_all(build_dir)
    # The bundler rebuilt the script but the injected map stayed behind.
    fresh = (DIST / "esm.mjs").read_bytes()
    (build_dir / "esm.mjs").write_bytes(fresh)
    problems = [(p.path.name, p.reason) for p in inj.scan(build_dir).problems]
    assert len(problems) == 1 and problems[0][0] == "esm.mjs"
    assert "already has chunk_id" in problems[0][1]


def test_map_shared_by_two_scripts_is_a_problem(build_dir: Path) -> None:
    text = (build_dir / "esm.mjs").read_text()
    (build_dir / "esm2.mjs").write_text(text.replace("esm.mjs.map", "./esm.mjs.map"))
    problems = sorted((p.path.name, p.reason) for p in inj.scan(build_dir).problems)
    assert [name for name, _ in problems] == ["esm.mjs", "esm2.mjs"]
    assert all("is shared with" in reason for _, reason in problems)


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(inj.InjectError, match="is not a directory"):
        inj.scan(tmp_path / "nope")


# --- the mappings shift, against a reference decoder ----------------------------------------

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _decode(mappings: str) -> list[tuple[int, int, tuple[int, ...]]]:
    """Absolute (line, column, other fields) of every segment (test-only reference)."""
    out = []
    state = [0, 0, 0, 0, 0]
    for line_no, line in enumerate(mappings.split(";")):
        state[0] = 0
        for seg in filter(None, line.split(",")):
            values, value, shift = [], 0, 0
            for c in seg:
                d = _B64.index(c)
                value |= (d & 31) << shift
                shift += 5
                if not d & 32:
                    values.append(-(value >> 1) if value & 1 else value >> 1)
                    value, shift = 0, 0
            for i, v in enumerate(values):
                state[i] += v
            out.append((line_no, state[0], tuple(state[1:len(values)])))
    return out


def _encode(segments: list[tuple[int, int, tuple[int, ...]]]) -> str:
    lines: dict[int, list] = {}
    for seg in segments:
        lines.setdefault(seg[0], []).append(seg)
    state = [0, 0, 0, 0]
    out = []
    for line_no in range(max(lines, default=-1) + 1):
        col = 0
        parts = []
        for _, c, rest in lines.get(line_no, []):
            part = encode_value(c - col)
            col = c
            for i, v in enumerate(rest):
                part += encode_value(v - state[i])
                state[i] = v
            parts.append(part)
        out.append(",".join(parts))
    return ";".join(out)


segments_strategy = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 300),
        st.one_of(
            st.just(()),
            st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(0, 80)),
            st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(0, 80), st.integers(0, 5)),
        ),
    ),
    max_size=40,
).map(lambda segs: sorted(segs, key=lambda s: (s[0], s[1])))


@settings(max_examples=300, deadline=None)
@given(segments_strategy, st.integers(0, 5), st.integers(0, 320))
def test_shift_mappings_moves_exactly_the_segments_after_the_point(segments, line, column) -> None:
    mappings = _encode(segments)
    shifted = inj.shift_mappings(mappings, line, column)

    def moved(seg):
        l, c, rest = seg
        if l > line or (l == line and c >= column):
            return (l + 1, c - column if l == line else c, rest)
        return seg

    assert _decode(shifted) == [moved(s) for s in _decode(mappings)]


def test_shift_mappings_examples() -> None:
    # "use strict";X  -> segments at columns 0 and 13 on line 0; split at 13.
    assert inj.shift_mappings("AAAA,aAAC;AACA", 0, 13) == "AAAA;AAAC;AACA"
    assert inj.shift_mappings("AAAA;AACA", 0, 0) == ";AAAA;AACA"
    assert inj.shift_mappings("AAAA;AACA", 1, 0) == "AAAA;;AACA"
    assert inj.shift_mappings("AAAA", 3, 0) == "AAAA"  # nothing at or after the point


def test_insertion_offset_cases() -> None:
    assert inj.insertion_offset("var a;") == 0
    assert inj.insertion_offset("#!/usr/bin/env node\nvar a;") == 20
    assert inj.insertion_offset('"use strict";var a;') == 13
    assert inj.insertion_offset("'use strict';  \nvar a;") == 16
    assert inj.insertion_offset('/*! (c) x */\n"use client";\n"use strict";\nx()') == 41
    assert inj.insertion_offset('"use strict".length;') == 0  # an expression, not a directive
    assert inj.insertion_offset('#!/bin/node\r\n"use strict";f()') == 26


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_segment_resolves_the_same_through_the_engine(build_dir: Path, name: str) -> None:
    """Second opinion on exactness, every segment: symbols.sourcemaps before and after."""
    from symbols.sourcemaps import parse_source_map

    script = build_dir / name
    pair = next(p for p in inj.scan(build_dir).pairs if p.script == script)
    line, column = inj.position(pair.script_text, inj.insertion_offset(pair.script_text))
    before = parse_source_map(pair.map.read_bytes())
    inj.inject(pair)
    after = parse_source_map(pair.map.read_bytes())
    assert after.segment_count == before.segment_count > 0
    starts = before.columns.line_starts
    checked = 0
    for gen_line in range(before.line_count):
        for segment in range(int(starts[gen_line]), int(starts[gen_line + 1])):
            token = before.token(segment, gen_line)
            gen_column = int(before.columns.column[segment])
            if (gen_line, gen_column) >= (line, column):
                moved = (gen_line + 1, gen_column - column if gen_line == line else gen_column)
            else:
                moved = (gen_line, gen_column)
            found = after.lookup(*moved)
            if token is None:
                continue
            assert (found.source, found.line, found.column, found.name) == (
                token.source, token.line, token.column, token.name
            ), (gen_line, gen_column)
            checked += 1
    assert checked > 10


def test_map_the_engine_refuses_is_not_injected(build_dir: Path) -> None:
    doc = json.loads((build_dir / "esm.mjs.map").read_text())
    doc["mappings"] = "AAAAA"  # a 5-field segment pointing at a name that does not exist
    doc["names"] = []
    (build_dir / "esm.mjs.map").write_text(json.dumps(doc))
    problems = inj.scan(build_dir).problems
    assert [p.path.name for p in problems] == ["esm.mjs"]
    assert problems[0].reason == (
        f"{build_dir / 'esm.mjs.map'} is not a valid source map: index_out_of_bounds: map: mappings: "
        "segment at offset 0 (generated line 0): name index 0 but the map has 0"
    )
