"""Single lookups (memoryview fast path, lazily decoded strings) answer like the batch path."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from symbols.sourcemaps import Token, load_index, parse_source_map
from symbols.sourcemaps.search import greatest_lower_bound
from symbols.sourcemaps.views import int_view
from tests.support.mappings import maps

# Line 0: segments at 0, 2 (named), 3 (unmapped); lines 1-2 empty; line 3 starts at 4.
RAW = {"version": 3, "sources": ["a.js", None], "names": ["x", ""],
       "mappings": "AAAAA,EAAEC,C;;;ICAF,GAAAD,CAAA"}


def both(raw):
    parsed = parse_source_map(json.dumps(raw))
    return parsed, load_index(parsed.to_index_bytes())


def batch_answer(source_map, line, column):
    found = source_map.lookup_many([line], [column])
    if not found.found[0]:
        return None
    name = int(found.name_index[0])
    return (source_map.sources[int(found.source_index[0])], int(found.line[0]), int(found.column[0]),
            None if name < 0 else source_map.names[name], int(found.segment[0]))


def single_answer(source_map, line, column):
    token = source_map.lookup(line, column)
    if token is None:
        return None
    starts = source_map.columns.line_starts
    segment = int(starts[line]) + int(np.searchsorted(
        source_map.columns.column[starts[line] : starts[line + 1]], token.generated_column))
    assert token.generated_line == line and token.generated_column <= column
    assert source_map.token(segment) == token  # its line found from the segment alone
    return (token.source, token.line, token.column, token.name, segment)


def probes(source_map):
    positions = [(-1, 0), (0, -1), (-5, -5), (source_map.line_count, 0), (source_map.line_count + 3, 9),
                 (2**62, 0), (0, 2**62)]
    starts = source_map.columns.line_starts
    for line in range(source_map.line_count):
        positions.append((line, 0))
        for column in source_map.columns.column[starts[line] : starts[line + 1]].tolist():
            positions += [(line, column), (line, column + 1), (line, max(column - 1, 0))]
    return positions


def test_first_and_last_lines_empty_lines_and_past_the_end():
    for source_map in both(RAW):
        assert source_map.lookup(0, 0) == Token("a.js", 0, 0, "x", 0, 0, 0)
        assert source_map.lookup(0, 2) == Token("a.js", 0, 2, "", 0, 0, 2)
        assert source_map.lookup(0, 3) is None and source_map.lookup(0, 99) is None
        assert source_map.lookup(1, 0) is None and source_map.lookup(2, 5) is None
        assert source_map.lookup(3, 3) is None
        assert source_map.lookup(3, 4) == Token(None, 0, 0, None, 1, 3, 4)
        assert source_map.lookup(3, 7) == Token(None, 0, 0, "x", 1, 3, 7)
        assert source_map.lookup(4, 0) is None and source_map.lookup(-1, 0) is None
        assert source_map.lookup(2**70, 0) is None and source_map.lookup(3, 2**70) == source_map.lookup(3, 8)
        assert source_map.token(5) == source_map.lookup(3, 8)  # the last segment, line found
        assert source_map.lookup(np.int64(3), np.int64(7)) == source_map.lookup(3, 7)


def test_strings_from_an_index_are_decoded_once_and_stay_right():
    parsed, loaded = both(RAW)
    first = [loaded.lookup(line, column) for line, column in probes(loaded)]
    again = [loaded.lookup(line, column) for line, column in probes(loaded)]
    assert first == again == [parsed.lookup(line, column) for line, column in probes(parsed)]
    assert loaded.lookup(3, 4).source is None and loaded.lookup(0, 2).name == ""


def test_token_is_a_named_tuple_with_to_dict():
    token = parse_source_map(json.dumps(RAW)).lookup(0, 2)
    assert token.to_dict() == {"source": "a.js", "line": 0, "column": 2, "name": "", "source_index": 0,
                               "generated_line": 0, "generated_column": 2}
    assert type(token.line) is int and type(token.generated_column) is int
    with pytest.raises(AttributeError):
        token.line = 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps())
def test_single_lookups_answer_like_lookup_many(example):
    document, _lines = example
    for source_map in both(document):
        for line, column in probes(source_map):
            assert single_answer(source_map, line, column) == batch_answer(source_map, line, column)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int32, ">u4"])
def test_the_scalar_search_agrees_on_arrays_and_views(dtype):
    keys = np.array([0, 3, 3, 7, 9, 200], dtype=dtype)
    view = int_view(keys)
    assert view.tolist() == [0, 3, 3, 7, 9, 200]
    for target in range(-1, 205):
        want = int(np.searchsorted(keys, target, side="right")) - 1 if target >= 0 else -1
        assert greatest_lower_bound(view, target) == greatest_lower_bound(keys, np.int64(target)) == want
        assert greatest_lower_bound(view, np.int64(target)) == want
        assert greatest_lower_bound(view, target, 2, 5) == (want if 2 <= want < 5 else 4 if want >= 5 else -1)
