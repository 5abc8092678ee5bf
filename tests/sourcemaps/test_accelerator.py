"""The C `mappings` decoder (`_mappings.c`) against the numpy path it accelerates.

It must return the very arrays numpy returns (values, dtypes, the `ordered` flag) for
every valid input, and None for every invalid one, so that numpy raises the named error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbols.sourcemaps import SourceMapError
from symbols.sourcemaps import decoder as decoder_module
from symbols.sourcemaps.decoder import _decode_mappings
from symbols.sourcemaps.vlq import encode_mappings
from tests.support.mappings import FAULTS, characters, mapping_lines

accelerator = decoder_module.accelerator
pytestmark = pytest.mark.skipif(
    accelerator is None, reason="the C `mappings` decoder (symbols/sourcemaps/_mappings.c) is not built")

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = sorted([*ROOT.glob("sourcemaps/fixtures/**/*.map"), *ROOT.glob("fixtures/build/dist/**/*.map")])


def with_numpy(mappings: str, source_count: int, name_count: int):
    saved, decoder_module.accelerator = decoder_module.accelerator, None
    try:
        segments, ordered = _decode_mappings(mappings, source_count, name_count, "map")
        return [field.copy() for field in segments], ordered  # out of the scratch buffers
    finally:
        decoder_module.accelerator = saved


def with_c(mappings: str, source_count: int, name_count: int):
    decoded = decoder_module._decode_accelerated(mappings.encode("ascii"), source_count, name_count)
    return None if decoded is None else (list(decoded[0]), decoded[1])


def assert_same(mappings: str, source_count: int, name_count: int) -> None:
    expected_fields, expected_ordered = with_numpy(mappings, source_count, name_count)
    decoded = with_c(mappings, source_count, name_count)
    assert decoded is not None, "valid mappings the C decoder rejected"
    fields, ordered = decoded
    assert ordered == expected_ordered
    for field, expected in zip(fields, expected_fields, strict=True):
        assert field.dtype == expected.dtype
        np.testing.assert_array_equal(field, expected)


def test_bundles_are_present():
    assert len(BUNDLES) >= 9


@pytest.mark.parametrize("path", BUNDLES, ids=[path.name for path in BUNDLES])
def test_real_bundles_decode_like_numpy(path):
    document = json.loads(path.read_text())
    maps = [section["map"] for section in document["sections"]] if "sections" in document else [document]
    for inner in maps:
        assert_same(inner["mappings"], len(inner["sources"]), len(inner.get("names", [])))


@settings(max_examples=400, deadline=None)
@given(mapping_lines, st.integers(3, 5), st.integers(4, 6))
def test_random_valid_mappings_decode_like_numpy(encoded_lines, sources, names):
    assert_same(encode_mappings(encoded_lines), sources, names)


def test_a_long_stream_decodes_like_numpy():
    """Long enough for numpy to decode in pieces (`chunked.py`), with unsorted lines."""
    rng = np.random.default_rng(17)
    encoded_lines = [[tuple(int(v) for v in rng.integers(0, 3000, 5)) for _ in range(int(rng.integers(0, 400)))]
                     for _ in range(600)]
    mappings = encode_mappings(encoded_lines)
    assert len(mappings) > 2 * decoder_module.PIECE
    assert_same(mappings, 3000, 3000)


@pytest.mark.parametrize(("mappings", "sources", "names", "kind", "message"), FAULTS,
                         ids=[case[0] for case in FAULTS])
def test_faults_return_none_so_numpy_names_them(mappings, sources, names, kind, message):
    if kind is None:
        assert_same(mappings, sources, names)
        return
    assert accelerator.decode(mappings.encode("ascii"), sources, names) is None
    with pytest.raises(kind) as raised:
        _decode_mappings(mappings, sources, names, "map")  # C first, then numpy names the fault
    assert raised.value.message == message


@settings(max_examples=3000, deadline=None)
@given(st.text(characters, max_size=40), st.integers(0, 3), st.integers(0, 3))
def test_any_mappings_are_accepted_exactly_when_numpy_accepts_them(mappings, sources, names):
    try:
        with_numpy(mappings, sources, names)
    except SourceMapError:
        assert accelerator.decode(mappings.encode("ascii"), sources, names) is None
    else:
        assert_same(mappings, sources, names)


def test_edges():
    assert_same("", 0, 0)  # one empty line
    assert_same(";;", 0, 0)
    assert_same("A;;", 0, 0)
    assert_same("ggggggggggggggggA", 0, 0)  # padding digits
    for bad in (b"A,", b",", b";,", b"AAAA\x80", b"AAAA\x00", b"g", b"AAAAAA"):
        assert accelerator.decode(bad, 1, 1) is None
    # bytes-like input is accepted; anything else is a TypeError from argument parsing
    assert accelerator.decode(memoryview(b"AAAA"), 1, 0) is not None
    assert accelerator.decode(bytearray(b"AAAA;AAAA"), 1, 0) is not None
    with pytest.raises(TypeError):
        accelerator.decode("AAAA", 1, 0)


def test_results_are_writable_and_independent():
    first = with_c("AAAA,CAAC", 1, 0)[0]
    second = with_c("AAAA,EAAC", 1, 0)[0]
    first[0][0] = 7  # numpy's arrays are writable too; nothing is shared between calls
    assert second[0].tolist() == [0, 2]
