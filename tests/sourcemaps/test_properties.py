"""Property tests: random mappings round-trip through the decoder; junk never escapes
as anything but SourceMapError.

The encoder here is written from the format's definition, independently of the engine's
own `vlq.encode_mappings`, so a shared misreading of the format cannot hide.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.sourcemaps import SourceMapError, load_index, parse_source_map
from tests.support.mappings import BASE64, maps, vlq

LIMIT = 2**31 - 1
pytestmark = pytest.mark.usefixtures("mappings_decoder")  # numpy alone, and the C decoder


def expected_token(document: dict, segment: tuple[int, ...]):
    if len(segment) == 1:
        return None
    name = document["names"][segment[4]] if len(segment) == 5 else None
    return (document["sources"][segment[1]], segment[2], segment[3], name)


def as_tuple(token):
    return None if token is None else (token.source, token.line, token.column, token.name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps())
def test_random_mappings_decode_to_what_was_encoded(example) -> None:
    document, lines = example
    parsed = parse_source_map(json.dumps(document))
    loaded = load_index(parsed.to_index_bytes())
    positions, answers = [], []
    for line, segments in enumerate(lines):
        for index, segment in enumerate(segments):
            want = expected_token(document, segment)
            # The segment's own column and, when there is room, the column just before
            # the next segment both find this segment (greatest lower bound, same line).
            probes = [segment[0]]
            end = segments[index + 1][0] if index + 1 < len(segments) else segment[0] + 50
            if end - 1 > segment[0]:
                probes.append(end - 1)
            for column in probes:
                positions.append((line, column))
                answers.append(want)
                assert as_tuple(parsed.lookup(line, column)) == want
                assert as_tuple(loaded.lookup(line, column)) == want
        if segments and segments[0][0] > 0:
            # Before the first segment of a line: nothing, never a token of an earlier line.
            assert parsed.lookup(line, segments[0][0] - 1) is None
    if positions:
        batch = parsed.lookup_many(np.array([p[0] for p in positions]), np.array([p[1] for p in positions]))
        for i, want in enumerate(answers):
            if want is None:
                assert not batch.found[i]
            else:
                assert batch.found[i]
                assert parsed.sources[batch.source_index[i]] == want[0]
                assert (int(batch.line[i]), int(batch.column[i])) == (want[1], want[2])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_raise_source_map_error(data: bytes) -> None:
    try:
        parse_source_map(data)
    except SourceMapError:
        pass


mapping_text = st.text(alphabet=BASE64 + ",;=!é ", max_size=200)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    version=st.sampled_from([3, 3, 3, 2, "3", None]),
    sources=st.lists(st.one_of(st.text(max_size=10), st.none(), st.integers()), max_size=4) | json_value,
    names=st.lists(st.text(max_size=6), max_size=4) | json_value,
    mappings=mapping_text | json_value,
    extra=st.dictionaries(
        st.sampled_from(["sourceRoot", "sourcesContent", "ignoreList", "x_google_ignoreList", "file", "sections"]),
        json_value,
        max_size=3,
    ),
)
def test_map_shaped_junk_parses_or_raises_source_map_error(version, sources, names, mappings, extra) -> None:
    document = {"version": version, "sources": sources, "names": names, "mappings": mappings, **extra}
    try:
        parsed = parse_source_map(json.dumps(document))
    except SourceMapError as error:
        assert error.code and str(error)
        return
    # What parses must answer lookups anywhere without raising.
    for line in range(parsed.line_count + 1):
        for column in (0, 1, 7, 10**6):
            parsed.lookup(line, column)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_source_map_error(text: str) -> None:
    try:
        parse_source_map(text)
    except SourceMapError:
        pass


def test_values_past_32_bits_are_rejected_not_wrapped() -> None:
    too_big = vlq(LIMIT + 1)
    document = {"version": 3, "sources": ["a.js"], "names": [], "mappings": f"A{too_big}AA"}
    try:
        parse_source_map(json.dumps(document))
    except SourceMapError as error:
        assert error.code in ("invalid_vlq", "index_out_of_bounds", "invalid_segment")
    else:
        raise AssertionError("a source index past 2**31-1 must be rejected")


def test_negative_running_values_are_rejected() -> None:
    # Original line goes to -1: symbolic wraps this into a huge number.
    document = {"version": 3, "sources": ["a.js"], "names": [], "mappings": "AADA"}
    try:
        parse_source_map(json.dumps(document))
    except SourceMapError as error:
        assert "invalid_segment" == error.code or "index_out_of_bounds" == error.code
    else:
        raise AssertionError("a negative original line must be rejected")
