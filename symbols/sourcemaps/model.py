"""The decoded source map: columns of integers, interned strings, light tokens.

Segments are stored sorted by (generated line, generated column), one numpy array per
field in the narrowest unsigned dtype that holds it, plus `line_starts` (segment offsets
of each generated line) instead of a per-segment line. An absent source or name (a
1-field or 4-field segment) is the dtype's maximum value. Only the first segment of a
given generated position is kept: later ones can never be found by a lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from symbols.sourcemaps.search import greatest_lower_bound
from symbols.sourcemaps.views import UNREAD, int_view, lazy_strings

if TYPE_CHECKING:
    from symbols.sourcemaps.scopes import ScopeTable


class Columns(NamedTuple):
    line_starts: np.ndarray
    column: np.ndarray
    source: np.ndarray  # dtype max = no source (a 1-field segment)
    original_line: np.ndarray
    original_column: np.ndarray
    name: np.ndarray  # dtype max = no name


def narrowest_unsigned(values: np.ndarray, *, sentinel: bool = False) -> np.ndarray:
    """A copy of `values` (non-negative, or -1 where `sentinel` marks absence) in u8/u16/u32/u64.

    -1 becomes the dtype's maximum by the cast itself (two's complement wraps). Always a
    copy: the decoder's columns live in scratch buffers.
    """
    top = int(values.max()) if values.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        limit = int(np.iinfo(dtype).max)
        if top < limit or (top == limit and not sentinel):
            break
    return values.astype(dtype)


def build_columns(line_starts, column, source, original_line, original_column, name, *,
                  ordered: bool = False) -> Columns:
    """Sort segment fields by generated position, drop duplicates, narrow dtypes.

    `line_starts` gives each line's first segment; lines come in order already, so only
    columns within a line can be out of order (the format allows it, lookups do not).
    `ordered` says the caller knows columns strictly increase within each line.
    """
    fields = [column, source, original_line, original_column, name]
    if not ordered:
        line_starts, fields = _sorted_unique(line_starts, fields)
    column, source, original_line, original_column, name = fields
    return Columns(
        line_starts=narrowest_unsigned(line_starts),
        column=narrowest_unsigned(column),
        source=narrowest_unsigned(source, sentinel=True),
        original_line=narrowest_unsigned(original_line),
        original_column=narrowest_unsigned(original_column),
        name=narrowest_unsigned(name, sentinel=True),
    )


def _sorted_unique(line_starts: np.ndarray, fields: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fields sorted by column within each line (stably), keeping the first of equal positions."""
    column = fields[0]
    opens_line = np.zeros(column.size, dtype=bool)
    opens_line[line_starts[:-1][np.diff(line_starts) > 0]] = True
    step = np.diff(column)
    unsorted = (step < 0) & ~opens_line[1:]
    repeated = (step == 0) & ~opens_line[1:]
    if unsorted.any() or repeated.any():
        lines = np.repeat(np.arange(line_starts.size - 1), np.diff(line_starts))
        if unsorted.any():
            order = np.lexsort((column, lines))  # stable: equal positions keep map order
            lines, fields = lines[order], [field[order] for field in fields]
        keep = np.concatenate(([True], (np.diff(fields[0]) != 0) | (np.diff(lines) != 0)))
        lines, fields = lines[keep], [field[keep] for field in fields]
        per_line = np.bincount(lines, minlength=line_starts.size - 1)
        line_starts = np.concatenate(([0], np.cumsum(per_line)))
    return line_starts, fields


class Token(NamedTuple):
    """An original position: 0-based `line` and `column` in `source` (a resolved URL).

    A named tuple: built with one `tuple.__new__` call (a frozen dataclass costs ~0.7 us).
    """

    source: str | None
    line: int
    column: int
    name: str | None
    source_index: int
    generated_line: int
    generated_column: int

    def to_dict(self) -> dict:
        return self._asdict()


_new_token = tuple.__new__


class Lookups(NamedTuple):
    """Results of `SourceMap.lookup_many`, one entry per position, as int64 arrays.

    `segment` is the matched segment's index; it and every other field are -1 where the
    position maps to nothing (no segment at or before it on its line, or an unmapped
    1-field segment). `name_index` is also -1 where the segment carries no name.
    """

    segment: np.ndarray
    source_index: np.ndarray
    line: np.ndarray
    column: np.ndarray
    name_index: np.ndarray

    @property
    def found(self) -> np.ndarray:
        return self.source_index >= 0


class SourceMap:
    """A decoded, validated source map; build it with `parse_source_map` or `load_index`."""

    def __init__(self, *, columns: Columns, sources: Sequence[str | None],
                 sources_content: Sequence[str | None], names: Sequence[str],
                 ignored: Sequence[int], file: str | None = None,
                 scopes: ScopeTable | None = None) -> None:
        self.columns = columns
        self.sources = sources
        self.names = names
        self.file = file
        self.scopes = scopes
        self._sources_content = sources_content
        self._ignored = frozenset(int(i) for i in ignored)
        self._no_source = int(np.iinfo(columns.source.dtype).max)
        self._no_name = int(np.iinfo(columns.name.dtype).max)
        # For single lookups: the same buffers read as Python ints (no copy), and the
        # strings as plain lists (filled on first use when they come from an index).
        self._line_count = columns.line_starts.size - 1
        self._starts, self._column, self._source, self._original_line, self._original_column, \
            self._name = (int_view(array) for array in columns)
        self._source_strings = lazy_strings(sources)
        self._name_strings = lazy_strings(names)

    @property
    def line_count(self) -> int:
        return self.columns.line_starts.size - 1

    @property
    def segment_count(self) -> int:
        return self.columns.column.size

    @property
    def ignore_list(self) -> list[int]:
        return sorted(self._ignored)

    def source_content(self, index: int) -> str | None:
        return self._sources_content[index]

    def is_ignored(self, index: int) -> bool:
        return index in self._ignored

    def lookup(self, line: int, column: int) -> Token | None:
        """The original position of generated (line, column), 0-based, or None."""
        if line < 0 or column < 0 or line >= self._line_count:
            return None
        starts = self._starts
        segment = greatest_lower_bound(self._column, column, starts[line], starts[line + 1])
        return None if segment < 0 else self.token(segment, line)

    def token(self, segment: int, generated_line: int | None = None) -> Token | None:
        """The token of one segment (None for an unmapped 1-field segment)."""
        source_index = self._source[segment]
        if source_index == self._no_source:
            return None
        if generated_line is None:
            generated_line = greatest_lower_bound(self._starts, segment)
        source = self._source_strings[source_index]
        if source is UNREAD:
            source = self._source_strings[source_index] = self.sources[source_index]
        name_index = self._name[segment]
        if name_index == self._no_name:
            name = None
        else:
            name = self._name_strings[name_index]
            if name is UNREAD:
                name = self._name_strings[name_index] = self.names[name_index]
        return _new_token(Token, (source, self._original_line[segment], self._original_column[segment],
                                  name, source_index, generated_line, self._column[segment]))

    def lookup_many(self, lines, columns) -> Lookups:
        """Vectorized `lookup` for arrays of 0-based generated lines and columns."""
        lines = np.asarray(lines, dtype=np.int64)
        columns = np.asarray(columns, dtype=np.int64)
        if not self.segment_count:
            return Lookups(*(np.full(lines.shape, -1, dtype=np.int64) for _ in Lookups._fields))
        c = self.columns
        valid = (lines >= 0) & (lines < self.line_count) & (columns >= 0)
        safe_lines = np.where(valid, lines, 0)
        lo = np.where(valid, c.line_starts[safe_lines], 0)
        hi = np.where(valid, c.line_starts[safe_lines + 1], 0)
        segment = greatest_lower_bound(c.column, columns, lo, hi)
        at = np.maximum(segment, 0)
        source = c.source[at].astype(np.int64)
        mapped = (segment >= 0) & (source != self._no_source)

        def pick(values: np.ndarray, absent: int | None = None) -> np.ndarray:
            picked = values[at].astype(np.int64)
            keep = mapped if absent is None else mapped & (picked != absent)
            return np.where(keep, picked, -1)

        return Lookups(
            segment=np.where(mapped, segment, -1),
            source_index=np.where(mapped, source, -1),
            line=pick(c.original_line),
            column=pick(c.original_column),
            name_index=pick(c.name, self._no_name),
        )

    def function_name(self, line: int, column: int) -> str | None:
        """Original name of the function enclosing generated (line, column), 0-based.

        Needs the scope table built from the minified source (`parse_source_map(...,
        minified_source=...)`, kept by `to_index_bytes`). None without one, or outside
        any function; `<anonymous>` for a function nothing names.
        """
        return None if self.scopes is None else self.scopes.name_at(line, column)

    def to_index_bytes(self) -> bytes:
        from symbols.sourcemaps.index import dump_index  # index builds on this module

        return dump_index(self)


__all__ = ["Columns", "Lookups", "SourceMap", "Token", "build_columns", "narrowest_unsigned"]
