"""A long `mappings` string decoded a piece at a time, so that each piece stays in cache.

Why: decoding touches several arrays per character; on monaco's 3.7 MB `mappings` they
no longer fit in the CPU caches, and the whole-string decode ran ~1.5x slower than the
same work on pieces of ~128 KB. Pieces end at a separator; what a piece needs from the
ones before it is small: the running values of the five fields, and whether it starts in
the middle of a line (after a `,`), where the generated column carries on too.

Only valid input takes this path to the end: on any fault the caller decodes the whole
string again, which names the fault exactly (offsets, lines) as `segments.py` does.
"""

from __future__ import annotations

import numpy as np

from symbols.sourcemaps.errors import InvalidSegmentError
from symbols.sourcemaps.scratch import scratch
from symbols.sourcemaps.segments import Carry, Segments, decode_segments
from symbols.sourcemaps.vlq import decode_stream

PIECE = 128 << 10  # bytes of `mappings` per piece: a few arrays of this size fit in L2/L3
_COMMA, _SEMICOLON = ord(","), ord(";")
_SEPARATORS = (_COMMA, _SEMICOLON)


def decode_in_pieces(text: bytes, source_count: int, name_count: int) -> tuple[Segments, bool]:
    """Like `decode_segments(decode_stream(text), ...)` for valid input; raises on any fault."""
    capacity = len(text) // 5 + 16  # most segments take at least 5 characters; grown if not
    fields = [scratch(f"piece field {field}", capacity, np.int32) for field in range(5)]
    line_starts = []
    ordered = True
    carry = Carry(mid_line=False, last=(0, 0, 0, 0, 0))
    total = 0
    start = 0
    while True:
        end = _piece_end(text, start)
        stream = decode_stream(text[start:end])
        segments, piece_ordered, last = decode_segments(stream, source_count, name_count, "map", carry)
        count = segments.column.size
        if total + count > capacity:
            capacity = 2 * (total + count)
            grown = [np.empty(capacity, dtype=np.int32) for _ in range(5)]
            for old, new in zip(fields, grown):
                new[:total] = old[:total]
            fields = grown
        for field, values in zip(fields, segments[1:]):
            field[total : total + count] = values
        # A piece that starts mid-line adds no line start of its own for its first line.
        local = segments.line_starts[1:-1] if carry.mid_line else segments.line_starts[:-1]
        line_starts.append(local + total)
        ordered = ordered and piece_ordered
        total += count
        if end >= len(text):
            break
        # Each piece checks its own slots as if it were whole lines: check the two slots
        # beside the separator between pieces here (empty next to a `,` is a fault).
        before, between = text[end - 1], text[end]
        after = text[end + 1] if end + 1 < len(text) else _SEMICOLON  # the end closes a line
        if (before in _SEPARATORS and _COMMA in (before, between)) or \
                (after in _SEPARATORS and _COMMA in (between, after)):
            raise InvalidSegmentError("mappings: empty segment")
        carry = Carry(mid_line=between == _COMMA, last=last)
        start = end + 1
    line_starts.append(np.array([total]))
    return Segments(np.concatenate(line_starts), *(field[:total] for field in fields)), ordered


def _piece_end(text: bytes, start: int) -> int:
    """The offset of the separator that ends the piece from `start` (or the end of `text`)."""
    at = start + PIECE
    if at >= len(text):
        return len(text)
    ends = [i for i in (text.find(b",", at, at + 256), text.find(b";", at, at + 256)) if i >= 0]
    if not ends:  # a very long value (padding digits): search on without a bound
        ends = [i for i in (text.find(b",", at), text.find(b";", at)) if i >= 0]
    return min(ends) if ends else len(text)


__all__ = ["PIECE", "decode_in_pieces"]
