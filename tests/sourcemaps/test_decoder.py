"""The vectorized `mappings` decoder against a plain per-character reference, and its errors."""

import contextlib
import itertools
import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbols.sourcemaps import (
    IndexOutOfBoundsError,
    InvalidSegmentError,
    InvalidVlqError,
    SourceMapError,
    chunked,
    parse_source_map,
)
from symbols.sourcemaps import decoder as decoder_module
from symbols.sourcemaps.decoder import _decode_mappings
from symbols.sourcemaps.segments import FIELD_LABELS
from symbols.sourcemaps.vlq import BASE64_ALPHABET, encode_mappings
from tests.support.mappings import FAULTS, characters, mapping_lines

MAX = 2**31 - 1
pytestmark = pytest.mark.usefixtures("mappings_decoder")  # numpy alone, and the C decoder


def reference(mappings: str, source_count: int, name_count: int):
    """ECMA-426 decoding, one character at a time: (error class, message) or segments.

    Segments are (line, column, source, line, column, name) with -1 for absent fields, in
    map order. Faults are reported in the engine's order: invalid character, then
    unfinished value, value too large, empty segment, wrong field count, a running value
    out of range (by field, then segment), a source or name index out of bounds.
    """
    where = "map: mappings:"
    for at, char in enumerate(mappings):
        if char not in ",;" and char.encode() not in [bytes([c]) for c in BASE64_ALPHABET]:
            return InvalidVlqError, f"{where} invalid character {char!r} at offset {at}"
    slots, values, line = [], [], 0  # slots: (line, offset of first char, [values])
    digits, start, slot_start = [], None, 0
    too_large = []
    for at, char in enumerate(mappings + ";"):
        if char in ",;":
            if digits:
                return InvalidVlqError, f"{where} value at offset {start} is missing continuation digits"
            slots.append((line, slot_start, values, char == ";" or at == len(mappings)))
            values, slot_start = [], at + 1
            line += char == ";"
            continue
        if not digits:
            start = at
        digit = BASE64_ALPHABET.index(char.encode())
        digits.append(digit)
        if digit & 32:
            continue
        raw = sum((d & 31) << (5 * i) for i, d in enumerate(digits[:7]))
        if any(d & 31 for d in digits[7:]) or (raw >> 1) > MAX:
            too_large.append(start)
        values.append(-(2**31) if raw == 1 else (-(raw >> 1) if raw & 1 else raw >> 1))
        digits = []
    if too_large:
        return InvalidVlqError, f"{where} value at offset {too_large[0]} exceeds 32 bits"
    for index, (line, at, fields, closes) in enumerate(slots):
        opens = index == 0 or slots[index - 1][3]
        if not fields and not (opens and closes):
            return InvalidSegmentError, f"{where} empty segment at offset {at}"
    for line, at, fields, _ in slots:
        if len(fields) not in (0, 1, 4, 5):
            return InvalidSegmentError, f"{where} segment at offset {at} has {len(fields)} fields (must be 1, 4 or 5)"
    used = [(line, at, fields) for line, at, fields, _ in slots if fields]
    running, previous_line, rows = [0] * 5, None, []
    for line, at, fields in used:
        if line != previous_line:
            running[0], previous_line = 0, line
        for slot, value in enumerate(fields):
            running[slot] += value
        rows.append((line, at, list(running), len(fields)))
    for field in range(5):
        for line, at, values, _ in rows:
            if not 0 <= values[field] <= MAX:
                return (InvalidSegmentError, (f"{where} segment at offset {at} (generated line {line}): "
                                              f"{FIELD_LABELS[field]} {values[field]} out of range"))
    for field, count, size in ((1, source_count, 4), (4, name_count, 5)):
        for line, at, values, length in rows:
            if length >= size and values[field] >= count:
                return (IndexOutOfBoundsError, (f"{where} segment at offset {at} (generated line {line}): "
                                                f"{FIELD_LABELS[field]} {values[field]} but the map has {count}"))
    # A 1-field segment has no source or name; the original position carries over.
    return [(line, values[0], values[1] if length >= 4 else -1, values[2], values[3],
             values[4] if length == 5 else -1) for line, _, values, length in rows]


def engine(mappings: str, source_count: int, name_count: int):
    try:
        segments, ordered = _decode_mappings(mappings, source_count, name_count, "map")
    except SourceMapError as error:
        return type(error), error.message
    rows = list(zip(segments.lines().tolist(), *(field.tolist() for field in segments[1:])))
    increasing = all(after[1] > before[1] for before, after in itertools.pairwise(rows) if before[0] == after[0])
    assert ordered == increasing
    return rows


def map_json(mappings, source_count=1, name_count=0):
    return json.dumps({"version": 3, "sources": [f"s{i}" for i in range(source_count)],
                       "names": [f"n{i}" for i in range(name_count)], "mappings": mappings})


@pytest.mark.parametrize(("mappings", "sources", "names", "kind", "message"), FAULTS,
                         ids=[case[0] for case in FAULTS])
def test_faults_are_typed_and_name_their_place(mappings, sources, names, kind, message):
    assert reference(mappings, sources, names)[:2] == (kind, message) or kind is None
    if kind is None:
        assert parse_source_map(map_json(mappings, sources, names)).segment_count > 0
        return
    with pytest.raises(kind) as raised:
        parse_source_map(map_json(mappings, sources, names))
    assert raised.value.message == message


@settings(max_examples=400, deadline=None)
@given(mapping_lines)
def test_valid_mappings_decode_like_the_reference(encoded_lines):
    mappings = encode_mappings(encoded_lines)
    expected = reference(mappings, 3, 4)
    assert isinstance(expected, list)
    assert engine(mappings, 3, 4) == expected


# Mostly short values and separators, some continuation digits, a few faults.


@settings(max_examples=1500, deadline=None)
@given(st.text(characters, max_size=30), st.integers(0, 3), st.integers(0, 3))
def test_any_mappings_decode_or_fail_like_the_reference(mappings, sources, names):
    assert engine(mappings, sources, names) == reference(mappings, sources, names)


def test_values_and_offsets_in_a_long_stream():
    rng = np.random.default_rng(7)
    encoded_lines = [[tuple(int(v) for v in rng.integers(0, 5000, 5)) for _ in range(50)] for _ in range(40)]
    mappings = encode_mappings(encoded_lines)
    assert engine(mappings, 5000, 5000) == reference(mappings, 5000, 5000)


def _columns(source_map):
    return [field.tolist() for field in source_map.columns]


def test_scratch_buffers_never_leak_into_results():
    """Decoding reuses per-thread scratch buffers: earlier results must stay intact."""
    rng = np.random.default_rng(11)
    maps = []
    for lines in (30, 3, 60):
        encoded = [[(int(c), 0, int(l), int(o)) for c, l, o in sorted(zip(rng.choice(4000, 40, replace=False),
                                                                          rng.integers(0, 9000, 40),
                                                                          rng.integers(0, 900, 40)))]
                   for _ in range(lines)]
        maps.append(map_json(encode_mappings(encoded)))
    index_map = json.dumps({"version": 3, "sections": [
        {"offset": {"line": 0, "column": 0}, "map": json.loads(maps[0])},
        {"offset": {"line": 100, "column": 0}, "map": json.loads(maps[1])}]})
    parsed = [parse_source_map(data) for data in maps + [index_map]]
    snapshots = [_columns(source_map) for source_map in parsed]
    for data in reversed(maps + [index_map]):
        parse_source_map(data)
    assert [_columns(source_map) for source_map in parsed] == snapshots
    first_section = [field[:40 * 30] for field in _columns(parsed[3])[1:]]
    assert first_section == _columns(parsed[0])[1:]  # the first section kept its own rows


def test_threads_decode_independently():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    datas = [map_json(encode_mappings([[(int(c), 0, int(c) % 97, 0) for c in sorted(set(rng.integers(0, 5000, 300)))]
                                       for _ in range(20)])) for _ in range(6)]
    expected = [_columns(parse_source_map(data)) for data in datas]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda data: _columns(parse_source_map(data)), datas)) == expected


@contextlib.contextmanager
def small_pieces(size):
    """Decode in pieces of `size` bytes (normally 128 KiB), so that short strings take that path."""
    with mock.patch.object(decoder_module, "PIECE", size), mock.patch.object(chunked, "PIECE", size):
        yield


@settings(max_examples=300, deadline=None)
@given(mapping_lines, st.integers(1, 12))
def test_pieces_decode_like_the_whole(encoded_lines, size):
    mappings = encode_mappings(encoded_lines)
    with small_pieces(size):
        assert engine(mappings, 3, 4) == reference(mappings, 3, 4)


@settings(max_examples=1000, deadline=None)
@given(st.text(characters, max_size=40), st.integers(0, 3), st.integers(0, 3), st.integers(1, 8))
def test_faults_found_in_pieces_are_named_like_the_whole(mappings, sources, names, size):
    with small_pieces(size):
        assert engine(mappings, sources, names) == reference(mappings, sources, names)


def test_pieces_of_a_long_stream():
    rng = np.random.default_rng(3)
    encoded_lines = [[tuple(int(v) for v in rng.integers(0, 3000, 5)) for _ in range(int(rng.integers(0, 60)))]
                     for _ in range(80)]
    encoded_lines[5] = [(c, 1, 2, 3) for c in range(0, 20000, 7)]  # one long line over many pieces
    mappings = encode_mappings(encoded_lines)
    for size in (50, 333, 4096):
        with small_pieces(size):
            assert engine(mappings, 3000, 3000) == reference(mappings, 3000, 3000)
