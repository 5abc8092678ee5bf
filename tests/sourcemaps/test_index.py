"""The stored index: a round trip answers like the parsed map; bad bytes fail typed."""

import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.sourcemaps import InvalidIndexError, load_index, parse_source_map
from symbols.sourcemaps.index import MAGIC, VERSION
from tests.support.bundles import TC39, TERSER

SPEC = TC39 / "source-map-spec-tests.json"
VALID = [case for case in json.loads(SPEC.read_text())["tests"] if case["sourceMapIsValid"]]


def answers(source_map, positions):
    return [source_map.lookup(line, column) for line, column in positions]


def assert_same(parsed, loaded, positions):
    assert list(loaded.sources) == list(parsed.sources)
    assert list(loaded.names) == list(parsed.names)
    assert loaded.file == parsed.file
    assert loaded.ignore_list == parsed.ignore_list
    for index in range(len(parsed.sources)):
        assert loaded.source_content(index) == parsed.source_content(index)
        assert loaded.is_ignored(index) == parsed.is_ignored(index)
    assert answers(loaded, positions) == answers(parsed, positions)
    lines, columns = np.array([p[0] for p in positions]), np.array([p[1] for p in positions])
    for mine, theirs in zip(loaded.lookup_many(lines, columns), parsed.lookup_many(lines, columns)):
        assert np.array_equal(mine, theirs)
    assert ([loaded.function_name(*p) for p in positions]
            == [parsed.function_name(*p) for p in positions])


def grid(source_map, extra=()):
    """Every segment start, one column either side, and a few positions past the end."""
    positions = list(extra) + [(-1, 0), (0, -1), (source_map.line_count, 0)]
    starts = source_map.columns.line_starts
    for line in range(source_map.line_count):
        for column in source_map.columns.column[starts[line] : starts[line + 1]].tolist():
            positions += [(line, column), (line, column + 1), (line, max(column - 1, 0))]
        positions.append((line, 10**6))
    return positions


@pytest.mark.parametrize("case", VALID, ids=[case["name"] for case in VALID])
def test_tc39_valid_maps_round_trip(case):
    parsed = parse_source_map((TC39 / "resources" / case["sourceMapFile"]).read_bytes())
    loaded = load_index(parsed.to_index_bytes())
    actions = [(a["generatedLine"], a["generatedColumn"]) for a in case.get("testActions", [])
               if "generatedLine" in a]
    assert_same(parsed, loaded, grid(parsed, actions))


def test_real_bundle_round_trip_with_scopes():
    parsed = parse_source_map(TERSER.map.read_bytes(), minified_source=TERSER.js.read_bytes())
    assert parsed.scopes is not None and len(parsed.scopes) > 3
    blob = parsed.to_index_bytes()
    loaded = load_index(blob)
    assert loaded.scopes is not None
    assert_same(parsed, loaded, grid(parsed))
    assert load_index(bytearray(blob)).to_index_bytes() == blob
    assert load_index(loaded.to_index_bytes()).to_index_bytes() == blob


def test_nulls_and_non_ascii_strings_survive():
    raw = {"version": 3, "file": "é.js", "sources": ["a/ü.js", None, "c.js"],
           "sourcesContent": ["// ✓ \u0000 done", None], "names": ["π", "", "𝒳"],
           "ignoreList": [2], "mappings": "AAAAA,CAACC,CAAEC;;ACAAD,EAAA"}
    parsed = parse_source_map(json.dumps(raw))
    loaded = load_index(parsed.to_index_bytes())
    assert_same(parsed, loaded, grid(parsed))
    assert list(loaded.sources) == ["a/ü.js", None, "c.js"]
    assert loaded.source_content(0) == "// ✓ \u0000 done" and loaded.source_content(2) is None
    assert loaded.names == ["π", "", "𝒳"]


def test_empty_map_round_trips():
    parsed = parse_source_map('{"version": 3, "sources": [], "mappings": ""}')
    loaded = load_index(parsed.to_index_bytes())
    assert loaded.segment_count == 0 and loaded.lookup(0, 0) is None and loaded.file is None


def blob_of_real_bundle():
    return parse_source_map(TERSER.map.read_bytes(), minified_source=TERSER.js.read_bytes()).to_index_bytes()


BLOB = blob_of_real_bundle() if TERSER.map.exists() else b""


def read_everything(data):
    """load_index, then touch what is checked lazily (sourcesContent)."""
    loaded = load_index(data)
    for index in range(len(loaded.sources)):
        loaded.source_content(index)
    return loaded


@pytest.mark.parametrize(("data", "says"), [
    (b"", "truncated"),
    (b"\0" * 100, "wrong magic"),
    (MAGIC + struct.pack("<I", VERSION + 1) + b"\0" * 40, "unsupported index version 2"),
    (BLOB[:-1], "truncated"),
    (BLOB + b"\0", "truncated or padded"),
])
def test_bad_bytes_say_why(data, says):
    with pytest.raises(InvalidIndexError) as raised:
        load_index(data)
    assert raised.value.code == "invalid_index" and says in str(raised.value)


def test_flipped_bit_in_the_core_fails_the_checksum():
    data = bytearray(BLOB)
    data[len(data) // 3] ^= 0x10
    with pytest.raises(InvalidIndexError, match="checksum"):
        load_index(bytes(data))


def test_flipped_bit_in_sources_content_fails_when_read():
    data = bytearray(BLOB)
    data[-20] ^= 0x01  # inside the contents blob (its offsets come last)
    loaded = load_index(bytes(data))  # sourcesContent is checked on first use
    with pytest.raises(InvalidIndexError, match="sourcesContent"):
        loaded.source_content(0)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_fail_typed(data):
    with pytest.raises(InvalidIndexError):
        read_everything(data)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_a_valid_header_fail_typed(tail):
    with pytest.raises(InvalidIndexError):
        read_everything(BLOB[:48] + tail)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=max(len(BLOB) - 1, 0)))
def test_truncations_fail_typed(length):
    with pytest.raises(InvalidIndexError):
        read_everything(BLOB[:length])


@settings(max_examples=500)
@given(st.integers(min_value=0, max_value=max(len(BLOB) * 8 - 1, 0)))
def test_any_bit_flip_fails_typed(bit):
    data = bytearray(BLOB)
    data[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidIndexError):
        read_everything(bytes(data))


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=8))
def test_several_byte_changes_never_escape_untyped(changes):
    data = bytearray(BLOB)
    for position, value in changes:
        data[position * len(data) // 401] = value
    try:
        read_everything(bytes(data))
    except InvalidIndexError:
        pass
