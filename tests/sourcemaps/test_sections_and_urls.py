"""Index maps (`sections`) flattened behind the one SourceMap face, and source URLs
resolved against `sourceRoot`."""

from __future__ import annotations

import json

import pytest

from symbols.sourcemaps import InvalidSectionsError, load_index, parse_source_map
from symbols.sourcemaps.urls import resolve_source


def regular(sources, mappings, names=(), **extra):
    return {"version": 3, "sources": list(sources), "names": list(names), "mappings": mappings, **extra}


def index_map(*sections):
    return json.dumps({
        "version": 3,
        "sections": [{"offset": {"line": line, "column": column}, "map": inner} for (line, column), inner in sections],
    })


def where(token):
    return None if token is None else (token.source, token.line, token.column, token.name)


def test_sections_are_placed_at_their_offsets_with_their_own_sources_and_names() -> None:
    first = regular(["a.js"], "AAAAA,EAAEC", names=["alpha", "beta"])  # columns 0 and 2
    second = regular(["b.js"], "AACA;AACCA", names=["gamma"])          # line 0 col 0, line 1 col 0
    parsed = parse_source_map(index_map(((0, 0), first), ((0, 10), second)))
    assert parsed.sources == ["a.js", "b.js"]
    assert parsed.names == ["alpha", "beta", "gamma"]
    assert where(parsed.lookup(0, 0)) == ("a.js", 0, 0, "alpha")
    assert where(parsed.lookup(0, 5)) == ("a.js", 0, 2, "beta")
    # The second section's first line is shifted by the column offset, later lines are not.
    assert where(parsed.lookup(0, 10)) == ("b.js", 1, 0, None)
    assert where(parsed.lookup(0, 99)) == ("b.js", 1, 0, None)
    assert where(parsed.lookup(1, 0)) == ("b.js", 2, 1, "gamma")
    loaded = load_index(parsed.to_index_bytes())
    for line, column in ((0, 0), (0, 5), (0, 10), (1, 0), (1, 3)):
        assert where(loaded.lookup(line, column)) == where(parsed.lookup(line, column))


def test_section_on_a_later_line_leaves_the_lines_between_empty() -> None:
    parsed = parse_source_map(index_map(((0, 0), regular(["a.js"], "AAAA")), ((3, 4), regular(["b.js"], "AAAA"))))
    assert parsed.lookup(1, 0) is None and parsed.lookup(2, 50) is None
    assert parsed.lookup(3, 3) is None
    assert where(parsed.lookup(3, 4)) == ("b.js", 0, 0, None)


def test_ignore_lists_follow_their_sections() -> None:
    first = regular(["a.js", "vendor.js"], "AAAA", ignoreList=[1])
    second = regular(["b.js", "lib.js"], "AAAA", x_google_ignoreList=[1])
    parsed = parse_source_map(index_map(((0, 0), first), ((1, 0), second)))
    assert [parsed.is_ignored(i) for i in range(4)] == [False, True, False, True]


@pytest.mark.parametrize(
    "sections, fragment",
    [
        ([((1, 0), regular(["a.js"], "AAAA")), ((0, 0), regular(["b.js"], "AAAA"))], "not after"),
        ([((0, 5), regular(["a.js"], "AAAA")), ((0, 5), regular(["b.js"], "AAAA"))], "not after"),
        # The first section maps column 20 of line 0; a section starting at column 10 overlaps it.
        ([((0, 0), regular(["a.js"], "oBAAA")), ((0, 10), regular(["b.js"], "AAAA"))], "overlaps"),
    ],
)
def test_unordered_or_overlapping_sections_are_rejected(sections, fragment) -> None:
    with pytest.raises(InvalidSectionsError) as raised:
        parse_source_map(index_map(*sections))
    assert raised.value.code == "invalid_sections"
    assert fragment in str(raised.value) and "sections[1]" in str(raised.value)


def test_nested_index_maps_and_bad_offsets_are_rejected() -> None:
    nested = json.loads(index_map(((0, 0), regular(["a.js"], "AAAA"))))
    with pytest.raises(InvalidSectionsError, match="cannot itself be an index map"):
        parse_source_map(index_map(((0, 0), nested)))
    bad = {"version": 3, "sections": [{"offset": {"line": -1, "column": 0}, "map": regular(["a.js"], "AAAA")}]}
    with pytest.raises(InvalidSectionsError, match="offset.line"):
        parse_source_map(json.dumps(bad))
    both = {"version": 3, "sections": [], "mappings": "AAAA"}
    with pytest.raises(InvalidSectionsError, match="both"):
        parse_source_map(json.dumps(both))


@pytest.mark.parametrize(
    "root, source, resolved",
    [
        ("theroot", "../a.js", "a.js"),
        ("theroot/", "../a.js", "a.js"),
        ("a/b/", "./c/../d.js", "a/b/d.js"),
        ("", "a.js", "a.js"),
        (None, "src/x.js", "src/x.js"),
        ("https://cdn.example.com/static/", "app.js", "https://cdn.example.com/static/app.js"),
        ("https://cdn.example.com/static", "../app.js", "https://cdn.example.com/app.js"),
        ("https://cdn.example.com/static/", "https://other.example.com/b.js", "https://other.example.com/b.js"),
        (None, "webpack:///./src/a.js", "webpack:///src/a.js"),
        ("src", "/abs/a.js", "/abs/a.js"),
    ],
)
def test_sources_resolve_against_source_root_as_urls(root, source, resolved) -> None:
    assert resolve_source(root, source) == resolved


def test_parsed_maps_expose_resolved_sources() -> None:
    parsed = parse_source_map(json.dumps(regular(["../a.js", None], "AAAA", sourceRoot="theroot")))
    assert parsed.sources == ["a.js", None]
    assert parsed.lookup(0, 0).source == "a.js"
