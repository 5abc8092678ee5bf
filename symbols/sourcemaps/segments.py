"""Decoded VLQ items -> absolute, validated segments, without a Python loop per segment.

Items between separators form a slot; a slot holds a segment of 1, 4 or 5 fields, or
nothing (an empty line). Each field is read for every segment at once (one `take` per
field, from the segment's first item onwards): fields a segment lacks read the separator
after it, which holds 0, so they add nothing and carry the previous value.

Running sums are taken in int32, letting them wrap: a valid map keeps every partial sum
in 0..2**31-1, and the first partial sum to leave that range lies in -2**31..2**32-2, so
it wraps to a negative int32. "No field is negative" is therefore the whole range check;
when it fails, the faulty field is worked out again exactly, in int64, to name it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from symbols.sourcemaps.errors import IndexOutOfBoundsError, InvalidSegmentError
from symbols.sourcemaps.scratch import scratch
from symbols.sourcemaps.vlq import MAX_VALUE, VlqStream

FIELD_LABELS = ("generated column", "source index", "original line", "original column", "name index")
# Slot sizes that are not a segment (1, 4 or 5 fields); 0 is an empty slot, checked apart.
_WRONG_SIZE = np.array([False, False, True, True, False, False, True])


class Segments(NamedTuple):
    """Absolute segments of one map as integer columns, in `mappings` order.

    `line_starts[k]` is the index of line k's first segment (one entry per line, plus the
    total). `source` and `name` are -1 where a segment has none.
    """

    line_starts: np.ndarray
    column: np.ndarray
    source: np.ndarray
    original_line: np.ndarray
    original_column: np.ndarray
    name: np.ndarray

    def lines(self) -> np.ndarray:
        """The generated line of every segment."""
        return np.repeat(np.arange(self.line_starts.size - 1), np.diff(self.line_starts))

    def last_position(self) -> tuple[int, int] | None:
        if not self.column.size:
            return None
        last_line = int(np.searchsorted(self.line_starts, self.column.size - 1, side="right")) - 1
        return last_line, int(self.column[self.line_starts[last_line] :].max())


class _Slots(NamedTuple):
    first: np.ndarray  # item index of each segment's first value
    size: np.ndarray  # its field count
    line_starts: np.ndarray


class Carry(NamedTuple):
    """Where the previous piece of a `mappings` string left off (see `chunked.py`)."""

    mid_line: bool  # the piece starts after a `,`: its first segment continues a line
    last: tuple[int, int, int, int, int]  # the previous segment's five absolute fields


def decode_segments(stream: VlqStream, source_count: int, name_count: int, where: str,
                    carry: Carry | None = None) -> tuple[Segments, bool, tuple]:
    """Absolute segments (int32 columns), whether each line's columns strictly increase,
    and the last segment's five fields (to carry into the next piece).

    The columns are strided views of a scratch table, valid until the thread's next
    decode: copy them out (`build_columns` does). Raises InvalidSegmentError / IndexOutOfBoundsError naming the
    segment's offset.
    """
    slots = _slots(stream, where)
    first, size, line_starts = slots
    rows = [scratch(f"field {field}", first.size, np.int32) for field in range(5)]
    for field, row in enumerate(rows):  # field k: the item k places after each first one
        # `clip` never clips (the stream is padded); it lets `take` write into `row`.
        stream.values[field:].take(first, out=row, mode="clip")
    column, source, original_line, original_column, name = rows
    short = np.less(size, 5, out=scratch("short", size.size, bool)).view(np.int8)  # 1 or 0
    np.bitwise_and(name, short - 1, out=name)  # 0 where short: a 4-field segment read the separator after it
    single = np.flatnonzero(np.equal(size, 1, out=scratch("mask", size.size, bool)))
    if single.size:  # a 1-field segment read the next segment's values
        for row in rows[1:]:
            row[single] = 0

    # Each line's first column is absolute: take the previous line's total off its delta,
    # so the one running sum restarts at 0 on every line (mod 2**32).
    mid_line = carry is not None and carry.mid_line
    opening = line_starts[:-1][np.diff(line_starts) > 0]
    if mid_line and opening.size and opening[0] == 0:
        opening = opening[1:]  # the first segment continues the previous piece's line
    deltas_at_opening = column[opening]
    column[opening] = 1
    ordered = bool(column.size == 0 or column.min() > 0)  # later deltas all positive
    column[opening] = deltas_at_opening
    if carry is not None and column.size:
        for field, (row, value) in enumerate(zip(rows, carry.last)):
            if field or mid_line:
                row[0] += value
    groups = opening if opening.size and opening[0] == 0 else np.concatenate(([0], opening))
    if column.size and groups.size > 1:
        totals = np.add.reduceat(column, groups)
        column[groups[1:]] -= totals[:-1]
    # One cumsum down a (segments, 5) table runs ~5x faster than five along the rows.
    table = scratch("table", column.size * 5, np.int32).reshape(column.size, 5)
    for field, row in enumerate(rows):
        table[:, field] = row
    np.cumsum(table, axis=0, out=table)
    column, source, original_line, original_column, name = table.T  # strided views of the table
    if column.size and table.min() < 0:
        if carry is not None:  # the caller decodes the whole string again to name the fault
            raise InvalidSegmentError(f"{where}: mappings: a value out of range")
        _raise_out_of_range(stream, slots, where)

    # Before a field first occurs it carries 0, which is in bounds unless the table is empty.
    for label, field, count, absent in ((FIELD_LABELS[1], source, source_count, single),
                                        (FIELD_LABELS[4], name, name_count, short.view(bool))):
        if field.size and int(field.max()) >= count:
            present = np.ones(field.size, dtype=bool)
            present[absent] = False
            faulty = np.flatnonzero((field >= count) & present)
            if faulty.size:
                raise IndexOutOfBoundsError(f"{_place(stream, slots, int(faulty[0]), where)}: "
                                            f"{label} {int(field[faulty[0]])} but the map has {count}")
    last = tuple(table[-1].tolist()) if column.size else (carry.last if carry else (0,) * 5)
    source[single] = -1
    np.bitwise_or(name, -short, out=name)  # -1 where short (bit operations beat putmask ~7x)
    return Segments(line_starts, column, source, original_line, original_column, name), ordered, last


def _slots(stream: VlqStream, where: str) -> _Slots:
    """The segments' first items and sizes, and each line's first segment; checks sizes.

    Slot k runs from the item after separator k-1 to the item before separator k.
    """
    separators = stream.separators
    first = scratch("first", separators.size + 1, np.intp)
    first[0] = 0
    np.add(separators, 1, out=first[1:])
    size = scratch("size", first.size, np.intp)
    size[:-1] = separators
    size[-1] = stream.item_count
    size -= first
    line_first_slot = np.concatenate(([0], stream.line_breaks + 1))  # the first, and each after a `;`
    empty = np.flatnonzero(np.equal(size, 0, out=scratch("mask", size.size, bool)))
    if empty.size:  # only a whole line may be empty
        opens_line = _member(empty, line_first_slot)
        closes_line = _member(empty + 1, line_first_slot) | (empty == size.size - 1)
        misplaced = np.flatnonzero(~(opens_line & closes_line))
        if misplaced.size:
            at = stream.char_offset(int(first[empty[misplaced[0]]]))
            raise InvalidSegmentError(f"{where}: mappings: empty segment at offset {at}")
    wrong = _WRONG_SIZE.take(size, mode="clip", out=scratch("mask", size.size, bool))
    if wrong.any():
        slot = int(wrong.argmax())
        raise InvalidSegmentError(
            f"{where}: mappings: segment at offset {stream.char_offset(int(first[slot]))} "
            f"has {int(size[slot])} fields (must be 1, 4 or 5)")
    if empty.size:  # drop empty lines' slots; a line's first segment moves back by those before it
        line_first_slot -= np.searchsorted(empty, line_first_slot)
        first, size = _dropped(first, empty), _dropped(size, empty)
    return _Slots(first, size, np.append(line_first_slot, first.size))


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """`np.isin` for a small sorted set, without its sort (10x faster on these sizes)."""
    found = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[found] == values


def _dropped(array: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`array` without the entries at `positions` (sorted), moved up in place when they are few."""
    if positions.size > 4096:
        return array.take(np.flatnonzero(np.isin(np.arange(array.size), positions, invert=True)))
    kept = int(positions[0])
    for position, end in zip(positions.tolist(), positions[1:].tolist() + [array.size]):
        array[kept : kept + end - position - 1] = array[position + 1 : end]
        kept += end - position - 1
    return array[:kept]


def _place(stream: VlqStream, slots: _Slots, segment: int, where: str) -> str:
    line = int(np.searchsorted(slots.line_starts, segment, side="right")) - 1
    at = stream.char_offset(int(slots.first[segment]))
    return f"{where}: mappings: segment at offset {at} (generated line {line})"


def _raise_out_of_range(stream: VlqStream, slots: _Slots, where: str) -> None:
    """Name the first field, in field order, whose exact (int64) running sum leaves 0..2**31-1."""
    first, size, line_starts = slots
    for field in range(5):
        deltas = stream.values.take(first + field, mode="clip").astype(np.int64)
        deltas[size <= field] = 0
        running = np.cumsum(deltas)
        if field == 0:  # restarts at every line
            per_line = np.diff(line_starts)
            before = np.concatenate(([0], running))[line_starts[:-1]]
            running -= np.repeat(before, per_line)
        bad = np.flatnonzero((running < 0) | (running > MAX_VALUE))
        if bad.size:
            segment = int(bad[0])
            raise InvalidSegmentError(
                f"{_place(stream, slots, segment, where)}: {FIELD_LABELS[field]} {int(running[segment])} out of range")
    raise AssertionError("a running sum wrapped, but no exact one is out of range")


__all__ = ["FIELD_LABELS", "Carry", "Segments", "decode_segments"]
