"""`mappings` test material: every decoding fault with its message, and hypothesis
strategies for segments, raw characters and whole maps.

The encoder here (`vlq`, `encode`) is written from the format's definition, independently
of the engine's own `vlq.encode_mappings`, so a shared misreading of the format cannot hide.
"""

from __future__ import annotations

from hypothesis import strategies as st

from symbols.sourcemaps import IndexOutOfBoundsError, InvalidSegmentError, InvalidVlqError

# Every kind of fault, with the message that names it (offsets are of a segment's first
# character, or of the faulty value or character).
FAULTS = [
    ("AAAA,CAAC*", 1, 0, InvalidVlqError, "map: mappings: invalid character '*' at offset 9"),
    ("AAAA,gg", 1, 0, InvalidVlqError, "map: mappings: value at offset 5 is missing continuation digits"),
    ("AAAA,g;A", 1, 0, InvalidVlqError, "map: mappings: value at offset 5 is missing continuation digits"),
    ("AAAA,,AAAA", 1, 0, InvalidSegmentError, "map: mappings: empty segment at offset 5"),
    (",AAAA", 1, 0, InvalidSegmentError, "map: mappings: empty segment at offset 0"),
    ("AAAA,;", 1, 0, InvalidSegmentError, "map: mappings: empty segment at offset 5"),
    ("AAAA;,A", 1, 0, InvalidSegmentError, "map: mappings: empty segment at offset 5"),
    ("AAAA,AA", 1, 0, InvalidSegmentError, "map: mappings: segment at offset 5 has 2 fields (must be 1, 4 or 5)"),
    ("AAAA,AAA", 1, 0, InvalidSegmentError, "map: mappings: segment at offset 5 has 3 fields (must be 1, 4 or 5)"),
    ("AAAAAA", 1, 0, InvalidSegmentError, "map: mappings: segment at offset 0 has 6 fields (must be 1, 4 or 5)"),
    ("A;;AAAAA,CAAAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 9 has 6 fields (must be 1, 4 or 5)"),
    ("AAAA,DAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 5 (generated line 0): generated column -1 out of range"),
    ("AAAA,ADAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 5 (generated line 0): source index -1 out of range"),
    ("AAAA,AADA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 5 (generated line 0): original line -1 out of range"),
    ("AAAA,AAAD", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 5 (generated line 0): original column -1 out of range"),
    ("AAAAD", 1, 1, InvalidSegmentError,
     "map: mappings: segment at offset 0 (generated line 0): name index -1 out of range"),
    ("AAAAC", 1, 1, IndexOutOfBoundsError,
     "map: mappings: segment at offset 0 (generated line 0): name index 1 but the map has 1"),
    ("AAAA,ACAA", 1, 0, IndexOutOfBoundsError,
     "map: mappings: segment at offset 5 (generated line 0): source index 1 but the map has 1"),
    ("AAAAA", 1, 0, IndexOutOfBoundsError,
     "map: mappings: segment at offset 0 (generated line 0): name index 0 but the map has 0"),
    ("gggggggC", 1, 0, InvalidVlqError, "map: mappings: value at offset 0 exceeds 32 bits"),
    ("ggggggQAAA", 1, 0, InvalidVlqError, "map: mappings: value at offset 0 exceeds 32 bits"),
    ("AAAA,BAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 5 (generated line 0): generated column -2147483648 out of range"),
    # A `B` closing a multi-digit value (`gB` is 16) beside a standalone one (-2**31).
    ("gBAAA,BAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 6 (generated line 0): generated column -2147483632 out of range"),
    ("AAAA;AAAA,AAAA,DAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 15 (generated line 1): generated column -1 out of range"),
    ("AAAA;;;AAAAA,ACAAC", 1, 2, IndexOutOfBoundsError,
     "map: mappings: segment at offset 13 (generated line 3): source index 1 but the map has 1"),
    ("kAAAA,lBAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 6 (generated line 0): generated column -16 out of range"),
    ("AAAA;AAAA,+/////HAAAA", 1, 1, InvalidVlqError, "map: mappings: value at offset 10 exceeds 32 bits"),
    ("AAAA;AAAA,A+/////HAAA", 1, 1, InvalidVlqError, "map: mappings: value at offset 11 exceeds 32 bits"),
    # Running sums past 2**31 - 1 (each value fits; the sum does not).
    ("+/////DAAA,CAAA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 11 (generated line 0): generated column 2147483648 out of range"),
    ("AA+/////DA,AACA", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 11 (generated line 0): original line 2147483648 out of range"),
    ("AAA+/////D;AAAC", 1, 0, InvalidSegmentError,
     "map: mappings: segment at offset 11 (generated line 1): original column 2147483648 out of range"),
    # A later line restarts the column: the sum across lines may pass 2**31 - 1.
    ("+/////DAAA;+/////DAAA;CAAA", 1, 0, None, None),
    ("ggggggggA", 1, 0, None, None),  # padding digits that are zero
    ("+/////DAAA", 1, 0, None, None),
    ("gggggggAAAAA", 1, 1, None, None),
]

segment = st.one_of(
    st.tuples(st.integers(0, 40)),
    st.tuples(st.integers(0, 40), st.integers(0, 2), st.integers(0, 3000), st.integers(0, 70)),
    st.tuples(st.integers(0, 40), st.integers(0, 2), st.integers(0, 3000), st.integers(0, 70), st.integers(0, 3)),
)
mapping_lines = st.lists(st.lists(segment, max_size=6), max_size=6)
characters = st.sampled_from("AAACCDEFGQgh//+9z,,,,;;;B*")

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(value: int) -> str:
    rest = ((-value) << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit, rest = rest & 31, rest >> 5
        out += BASE64[digit | (32 if rest else 0)]
        if not rest:
            return out


def encode(lines: list[list[tuple[int, ...]]]) -> str:
    state = [0, 0, 0, 0]
    encoded = []
    for segments in lines:
        column = 0
        parts = []
        for segment in segments:
            text = vlq(segment[0] - column)
            column = segment[0]
            for i, value in enumerate(segment[1:]):
                text += vlq(value - state[i])
                state[i] = value
            parts.append(text)
        encoded.append(",".join(parts))
    return ";".join(encoded)


@st.composite
def maps(draw):
    source_count = draw(st.integers(1, 4))
    name_count = draw(st.integers(1, 4))
    value = st.integers(0, 5000)
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        columns = sorted(draw(st.sets(st.integers(0, 3000), max_size=8)))
        segments = []
        for column in columns:
            kind = draw(st.sampled_from((1, 4, 5)))
            if kind == 1:
                segments.append((column,))
                continue
            segment = (column, draw(st.integers(0, source_count - 1)), draw(value), draw(value))
            if kind == 5:
                segment += (draw(st.integers(0, name_count - 1)),)
            segments.append(segment)
        lines.append(segments)
    return {
        "version": 3,
        "sources": [f"src/{i}.js" for i in range(source_count)],
        "names": [f"name{i}" for i in range(name_count)],
        "mappings": encode(lines),
    }, lines
