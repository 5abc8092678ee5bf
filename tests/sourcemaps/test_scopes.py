"""Function scopes: naming rules on terser output, UTF-16 columns, the table's lookup."""

import json
import re

import numpy as np
import pytest

from symbols.sourcemaps import ScopeTable, build_scope_table, load_index, parse_source_map
from tests.support.bundles import TERSER

CASES = TERSER.dir / "cases.min.js"
COMPRESSED = TERSER.dir / "cases.compressed.min.js"
PROBE = re.compile(r'probe\("([^"]*)"\)')


def probes(js_path):
    """(line, UTF-16 column, expected name) of every probe("...") call in a minified file."""
    found = []
    for line, text in enumerate(js_path.read_text(encoding="utf-8").split("\n")):
        for match in PROBE.finditer(text):
            column = len(text[: match.start()].encode("utf-16-le")) // 2
            expected = None if match.group(1) == "<top level>" else match.group(1)
            found.append((line, column, expected))
    return found


def parsed(js_path):
    map_path = js_path.with_name(js_path.name + ".map")
    return parse_source_map(map_path.read_bytes(), minified_source=js_path.read_bytes())


def test_every_probe_is_named_by_its_enclosing_function():
    source_map = parsed(CASES)
    calls = probes(CASES)
    assert len(calls) == 24
    assert [(source_map.function_name(line, column), line, column) for line, column, _ in calls] == [
        (expected, line, column) for line, column, expected in calls]


def test_rules_hold_after_terser_compresses():
    source_map = parsed(COMPRESSED)
    # Compression drops the name of a function expression nobody refers to by name.
    renamed = {"named": "<anonymous>"}
    calls = probes(COMPRESSED)
    assert len(calls) == 24
    assert [source_map.function_name(line, column) for line, column, _ in calls] == [
        renamed.get(expected, expected) for _, _, expected in calls]


def test_columns_after_non_ascii_text_are_utf16():
    text = CASES.read_text(encoding="utf-8")
    at = text.index('probe("later")')
    utf16 = len(text[:at].encode("utf-16-le")) // 2
    utf8 = len(text[:at].encode("utf-8"))
    assert utf8 - utf16 == 10  # "€ 💶 ünïcödé" and the € of formatPrice come before it
    source_map = parsed(CASES)
    assert source_map.function_name(0, utf16) == "later"
    scopes = source_map.scopes
    later = [i for i in range(len(scopes)) if scopes.names[int(scopes.name[i])] == "later"]
    start = text.index('function(){probe("later")')
    assert len(later) == 1 and int(scopes.start_column[later[0]]) == len(text[:start].encode("utf-16-le")) // 2


def test_str_and_bytes_sources_agree():
    source_map = parse_source_map((CASES.parent / "cases.min.js.map").read_bytes())
    from_bytes = build_scope_table(CASES.read_bytes(), source_map)
    from_str = build_scope_table(CASES.read_text(encoding="utf-8"), source_map)
    assert list(from_bytes.names) == list(from_str.names)
    for field in ("start_line", "start_column", "end_line", "end_column", "parent", "name"):
        assert np.array_equal(getattr(from_bytes, field), getattr(from_str, field))


def test_loaded_index_names_functions_without_the_javascript():
    source_map = parsed(CASES)
    loaded = load_index(source_map.to_index_bytes())
    for line, column, expected in probes(CASES):
        assert loaded.function_name(line, column) == expected


def test_no_scopes_without_the_minified_source():
    source_map = parse_source_map(CASES.with_name("cases.min.js.map").read_bytes())
    assert source_map.scopes is None and source_map.function_name(0, 100) is None


@pytest.mark.parametrize("source", [b"", b"var x = 1;", b"\xff\xfe not javascript {{{"])
def test_sources_without_functions_give_an_empty_table(source):
    source_map = parse_source_map('{"version": 3, "sources": [], "mappings": ""}')
    table = build_scope_table(source, source_map)
    assert len(table) == 0 and table.name_at(0, 0) is None


def test_unmapped_names_keep_the_minified_text():
    source = "a.b = function () { return 1 };\nfunction c() { x(function () {}) }"
    source_map = parse_source_map('{"version": 3, "sources": [], "mappings": ""}')
    table = build_scope_table(source, source_map)
    assert table.name_at(0, 20) == "a.b"
    assert table.name_at(1, 16) == "c"
    assert table.name_at(1, 29) == "<anonymous>"
    assert table.name_at(1, 33) == "c"
    assert table.name_at(1, 34) is None


def table(*scopes):
    """A ScopeTable from (start_line, start_col, end_line, end_col, parent, name) rows."""
    rows = np.array([row[:5] for row in scopes], dtype=np.int64).reshape(-1, 5)
    names = [row[5] for row in scopes]
    return ScopeTable(start_line=rows[:, 0].astype(np.uint32), start_column=rows[:, 1].astype(np.uint32),
                      end_line=rows[:, 2].astype(np.uint32), end_column=rows[:, 3].astype(np.uint32),
                      parent=rows[:, 4].astype(np.int32), name=np.arange(len(names), dtype=np.uint32),
                      names=names)


def test_name_at_is_the_innermost_scope_and_ends_are_exclusive():
    scopes = table((0, 10, 2, 5, -1, "outer"), (0, 20, 0, 30, 0, "first"), (1, 0, 1, 8, 0, "second"),
                   (1, 2, 1, 4, 2, "third"), (3, 0, 3, 9, -1, "last"))
    assert [scopes.name_at(*p) for p in [(0, 9), (0, 10), (0, 19), (0, 20), (0, 29), (0, 30)]] == [
        None, "outer", "outer", "first", "first", "outer"]
    assert [scopes.name_at(*p) for p in [(1, 1), (1, 3), (1, 4), (1, 8), (2, 4), (2, 5)]] == [
        "second", "third", "second", "outer", "outer", None]
    assert [scopes.name_at(*p) for p in [(3, 8), (3, 9), (4, 0), (-1, 0), (0, -1), (2**40, 0)]] == [
        "last", None, None, None, None, None]


# One function per generated line, each line ended by a different ECMAScript terminator;
# `g` spans a lone `\r`, and a non-ASCII string precedes `e` (columns stay UTF-16).
TERMINATED = [
    ("function a(){p()}", "\r"),
    ("function b(){p()}", "\r\n"),
    ("function c(){p()}", "\u2028"),
    ("function d(){p()}", "\u2029"),
    ('var s="€💶";function e(){p()}', "\n"),
    ("function g(){", "\r"),
    ("p()};p()", ""),
]
ORIGINAL = {"a": "afterCr", "b": "afterCrLf", "c": "afterLineSeparator",
            "d": "afterParagraphSeparator", "e": "afterLf", "g": "spansCr"}


def _terminated_bundle():
    from symbols.sourcemaps.vlq import encode_mappings

    names = list(ORIGINAL.values())
    segments, calls = [], []
    for line, (text, _) in enumerate(TERMINATED):
        def utf16(at, text=text):
            return len(text[:at].encode("utf-16-le")) // 2

        line_segments = []
        match = re.search(r"function (\w)", text)
        if match:  # the name token, mapped to its original name
            column = utf16(match.start(1))
            line_segments.append((column, 0, line, column, names.index(ORIGINAL[match.group(1)])))
        calls.extend((line, utf16(m.start())) for m in re.finditer(r"p\(\)", text))
        segments.append(line_segments)
    source = "".join(text + end for text, end in TERMINATED)
    source_map = {"version": 3, "sources": ["src.js"], "names": names,
                  "mappings": encode_mappings(segments)}
    return source, json.dumps(source_map), calls


def test_every_ecmascript_line_terminator_starts_a_generated_line():
    source, map_json, calls = _terminated_bundle()
    assert len(source.splitlines()) == len(TERMINATED)  # Python agrees on the line count
    source_map = parse_source_map(map_json, minified_source=source)
    assert [source_map.function_name(line, column) for line, column in calls] == [
        "afterCr", "afterCrLf", "afterLineSeparator", "afterParagraphSeparator", "afterLf",
        "spansCr", None]
    # The function names came through the map, so the name tokens were found at the
    # right (line, column) too; scope ends sit on the right line as well.
    scopes = source_map.scopes
    spans = {scopes.names[int(scopes.name[i])]: (int(scopes.start_line[i]), int(scopes.start_column[i]),
                                                  int(scopes.end_line[i]), int(scopes.end_column[i]))
             for i in range(len(scopes))}
    assert spans["afterLf"] == (4, 12, 4, 29)
    assert spans["spansCr"] == (5, 0, 6, 4)
    assert spans["afterCrLf"] == (1, 0, 1, 17)
    # Bytes, str and a stored index give the same answer.
    again = parse_source_map(map_json.encode(), minified_source=source.encode("utf-8"))
    loaded = load_index(again.to_index_bytes())
    assert [loaded.function_name(line, column) for line, column in calls] == [
        source_map.function_name(line, column) for line, column in calls]
