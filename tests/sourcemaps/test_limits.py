"""The caps of `limits.py`: each one, just at it (decodes) and one past it (a typed error
that names it), under both `mappings` decoders. The same caps on hostile sizes, under an
address-space limit, are in test_hostile.py."""

from __future__ import annotations

import json

import pytest

from symbols.sourcemaps import Limits, TooComplexError, TooLargeError, parse_source_map
from symbols.sourcemaps.decoder import decode_source_map

pytestmark = pytest.mark.usefixtures("mappings_decoder")  # numpy alone, and the C decoder


def regular(mappings="AAAA", sources=("a.js",), names=(), **extra) -> dict:
    return {"version": 3, "sources": list(sources), "names": list(names), "mappings": mappings, **extra}


def index_map(*sections) -> bytes:
    return json.dumps({"version": 3, "sections": [
        {"offset": {"line": line, "column": column}, "map": inner} for (line, column), inner in sections]}).encode()


def too_large(data, limits: Limits) -> str:
    with pytest.raises(TooLargeError) as error:
        decode_source_map(data, limits=limits)
    assert error.value.code == "too_large"
    return error.value.message


def test_lines_cap_counts_semicolons_before_decoding():
    data = json.dumps(regular("AAAA" + ";" * 9)).encode()  # 10 lines
    assert decode_source_map(data, limits=Limits(lines=10)).line_count == 10
    assert too_large(data, Limits(lines=9)) == "map: mappings has 10 lines, more than the 9 allowed"


def test_segments_cap_before_and_after_decoding():
    data = json.dumps(regular("AAAA,CAAA;AAAA")).encode()  # 3 segments, 1 comma
    assert decode_source_map(data, limits=Limits(segments=3)).segment_count == 3
    # Two segments cannot hold it: known after decoding (one `,` allows two).
    assert too_large(data, Limits(segments=2)) == "map: mappings has 3 segments, more than the 2 allowed"
    # One cannot either: known from the `,` alone.
    assert too_large(data, Limits(segments=1)) == "map: mappings has at least 2 segments, more than the 1 allowed"


def test_sources_names_and_ignore_list_caps():
    data = json.dumps(regular("AAAAA", sources=["a.js", "b.js"], names=["x", "y", "z"],
                              ignoreList=[0, 1])).encode()
    assert decode_source_map(data, limits=Limits(sources=2, names=3)).names == ["x", "y", "z"]
    assert too_large(data, Limits(sources=1)) == "map: `sources` has 2 entries, more than the 1 allowed"
    assert too_large(data, Limits(names=2)) == "map: `names` has 3 entries, more than the 2 allowed"


def test_index_map_offsets_and_sections_are_capped():
    inner = regular("AAAA")
    assert decode_source_map(index_map(((9, 0), inner)), limits=Limits(lines=10)).line_count == 10
    assert too_large(index_map(((10, 0), inner)), Limits(lines=10)) == (
        "sections[0]: `offset.line` is 10, more than the 9 allowed")
    assert too_large(index_map(((2**31 - 1, 0), inner)), Limits()) == (
        f"sections[0]: `offset.line` is {2**31 - 1}, more than the {2**22 - 1} allowed")
    assert too_large(index_map(((0, 100), inner)), Limits(offset_column=99)) == (
        "sections[0]: `offset.column` is 100, more than the 99 allowed")
    # A section's own lines count from its offset.
    assert too_large(index_map(((8, 0), regular("AAAA;AAAA;AAAA"))), Limits(lines=10)) == (
        "sections[0].map: mappings has 3 lines, more than the 2 allowed")
    two = index_map(((0, 0), inner), ((1, 0), inner))
    assert too_large(two, Limits(sections=1)) == "index map: has 2 sections, more than the 1 allowed"


def test_index_map_totals_are_capped_across_sections():
    sections = [((line, 0), regular("AAAA,CAAA", sources=[f"{line}.js"])) for line in range(3)]
    assert decode_source_map(index_map(*sections), limits=Limits(segments=6)).segment_count == 6
    assert too_large(index_map(*sections), Limits(segments=5)) == (
        "sections[2].map: mappings has at least 2 segments, more than the 1 allowed")
    assert too_large(index_map(*sections), Limits(sources=2)) == (
        "index map: has 3 sources, more than the 2 allowed")


def test_a_far_offset_costs_its_lines_not_more():
    parsed = decode_source_map(index_map(((2**22 - 2, 5), regular("AAAA;AAAA"))))
    assert parsed.line_count == 2**22
    assert parsed.segment_count == 2
    token = parsed.lookup(2**22 - 2, 5)
    assert (token.source, token.line, token.column) == ("a.js", 0, 0)
    assert parsed.lookup(2**22 - 3, 5) is None


def test_scope_nesting_and_time_caps():
    source_map = json.dumps(regular()).encode()
    nested = b"function a(){" * 40 + b"}" * 40  # two syntax levels per function
    assert len(parse_source_map(source_map, minified_source=nested, limits=Limits(nesting_depth=100)).scopes) == 40
    with pytest.raises(TooComplexError) as error:
        parse_source_map(source_map, minified_source=nested, limits=Limits(nesting_depth=60))
    assert error.value.code == "too_complex"
    assert error.value.message == "minified source: nests deeper than 60 levels (at byte 377)"
    with pytest.raises(TooComplexError) as error:
        parse_source_map(source_map, minified_source=nested, limits=Limits(scope_seconds=-1))
    assert error.value.message == "minified source: parsing took more than -1 s"
