"""Raw JSON wire shape -> validated `SourceMap`: the one place input is checked.

Order of work: JSON (orjson) -> top-level fields by type -> for a regular map, the
`mappings` string through `vlq.decode_stream`, grouped into segments of 1, 4 or 5 fields,
made absolute with running sums (generated column per line, the rest across the whole
map) and bounds-checked, all vectorized; for an index map (`sections`), each section
decoded the same way, checked for order and overlap, then flattened into one map.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import orjson

from symbols.sourcemaps.errors import (
    IndexOutOfBoundsError,
    InvalidFieldError,
    InvalidJsonError,
    InvalidSectionsError,
    InvalidSegmentError,
    InvalidVersionError,
    InvalidVlqError,
    MissingFieldError,
)
from symbols.sourcemaps.model import SourceMap, build_columns
from symbols.sourcemaps.urls import resolve_source
from symbols.sourcemaps.vlq import MAX_VALUE, decode_stream


class Segments(NamedTuple):
    """Absolute segments of one map as int64 columns; -1 marks an absent source or name."""

    line: np.ndarray
    column: np.ndarray
    source: np.ndarray
    original_line: np.ndarray
    original_column: np.ndarray
    name: np.ndarray

    def shifted(self, lines: int, columns: int, sources: int, names: int) -> Segments:
        """The segments placed at a section offset, with source and name tables appended."""
        first_line = self.line == 0
        return Segments(
            self.line + lines,
            self.column + np.where(first_line, columns, 0),
            np.where(self.source >= 0, self.source + sources, -1),
            self.original_line,
            self.original_column,
            np.where(self.name >= 0, self.name + names, -1),
        )


class _Tables(NamedTuple):
    sources: list[str | None]
    contents: list[str | None]
    names: list[str]
    ignored: list[int]


def decode_source_map(data: bytes | str) -> SourceMap:
    """Validate and decode a source map (regular or index map) into a `SourceMap`."""
    raw = _load_json(data)
    if "sections" in raw:
        segments, tables, file = _decode_index_map(raw)
    else:
        segments, tables, file = _decode_regular_map(raw, "map")
    return SourceMap(
        columns=build_columns(segments.line, segments.column, segments.source,
                              segments.original_line, segments.original_column, segments.name,
                              line_count=int(segments.line[-1]) + 1 if segments.line.size else 0),
        sources=tables.sources,
        sources_content=tables.contents,
        names=tables.names,
        ignored=tables.ignored,
        file=file,
    )


def _load_json(data: bytes | str) -> dict[str, Any]:
    try:
        raw = orjson.loads(data)
    except (orjson.JSONDecodeError, TypeError) as error:
        raise InvalidJsonError(f"not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise InvalidJsonError(f"expected a JSON object, got {type(raw).__name__}")
    return raw


def _check_version(raw: dict[str, Any], where: str) -> None:
    if "version" not in raw:
        raise MissingFieldError(f"{where}: `version` is missing")
    version = raw["version"]
    if type(version) is not int or version != 3:
        raise InvalidVersionError(f"{where}: `version` must be the number 3, got {version!r}")


def _optional_string(raw: dict[str, Any], field: str, where: str) -> str | None:
    value = raw.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidFieldError(f"{where}: `{field}` must be a string, got {type(value).__name__}")
    return value


def _string_list(raw: dict[str, Any], field: str, where: str, *, nullable: bool) -> list | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidFieldError(f"{where}: `{field}` must be a list, got {type(value).__name__}")
    for position, item in enumerate(value):
        if not (isinstance(item, str) or (nullable and item is None)):
            kind = "a string or null" if nullable else "a string"
            raise InvalidFieldError(f"{where}: `{field}[{position}]` must be {kind}, got {item!r}")
    return value


def _ignore_list(raw: dict[str, Any], source_count: int, where: str) -> list[int]:
    field = "ignoreList" if "ignoreList" in raw else "x_google_ignoreList"
    value = raw.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidFieldError(f"{where}: `{field}` must be a list, got {type(value).__name__}")
    for position, item in enumerate(value):
        if type(item) is not int:
            raise InvalidFieldError(f"{where}: `{field}[{position}]` must be an integer, got {item!r}")
        if not 0 <= item < source_count:
            raise IndexOutOfBoundsError(
                f"{where}: `{field}[{position}]` is {item}, but there are {source_count} sources"
            )
    return value


def _decode_regular_map(raw: dict[str, Any], where: str) -> tuple[Segments, _Tables, str | None]:
    _check_version(raw, where)
    file = _optional_string(raw, "file", where)
    source_root = _optional_string(raw, "sourceRoot", where)
    sources = _string_list(raw, "sources", where, nullable=True)
    if sources is None:
        raise MissingFieldError(f"{where}: `sources` is missing")
    contents = _string_list(raw, "sourcesContent", where, nullable=True) or []
    names = _string_list(raw, "names", where, nullable=False) or []
    if "mappings" not in raw:
        raise MissingFieldError(f"{where}: `mappings` is missing")
    mappings = raw["mappings"]
    if not isinstance(mappings, str):
        raise InvalidFieldError(f"{where}: `mappings` must be a string, got {type(mappings).__name__}")
    ignored = _ignore_list(raw, len(sources), where)
    segments = _decode_mappings(mappings, len(sources), len(names), where)
    tables = _Tables(
        sources=[None if s is None else resolve_source(source_root, s) for s in sources],
        contents=(contents + [None] * len(sources))[: len(sources)],
        names=names,
        ignored=ignored,
    )
    return segments, tables, file


def _decode_mappings(mappings: str, source_count: int, name_count: int, where: str) -> Segments:
    if not mappings.isascii():
        at = next(i for i, char in enumerate(mappings) if not char.isascii())
        raise InvalidVlqError(f"{where}: mappings: invalid character {mappings[at]!r} at offset {at}")
    text = mappings.encode("ascii")
    try:
        stream = decode_stream(text)
    except InvalidVlqError as error:
        raise InvalidVlqError(f"{where}: {error.message}") from None
    values, separators = stream.values, stream.separators

    # Slots lie between separators; slot k has separators[k-1] on its left.
    slot_of_value = np.searchsorted(separators, stream.value_ends)
    slot_sizes = np.bincount(slot_of_value, minlength=separators.size + 1)
    is_comma = ~stream.is_line_break
    comma_left = np.insert(is_comma, 0, False)
    comma_right = np.append(is_comma, False)
    empty_segment = np.flatnonzero((slot_sizes == 0) & (comma_left | comma_right))
    if empty_segment.size:
        at = _slot_offset(separators, int(empty_segment[0]))
        raise InvalidSegmentError(f"{where}: mappings: empty segment at offset {at}")
    wrong_size = np.flatnonzero((slot_sizes != 0) & (slot_sizes != 1) & (slot_sizes != 4) & (slot_sizes != 5))
    if wrong_size.size:
        slot = int(wrong_size[0])
        raise InvalidSegmentError(
            f"{where}: mappings: segment at offset {_slot_offset(separators, slot)} has "
            f"{int(slot_sizes[slot])} fields (must be 1, 4 or 5)"
        )

    slot_lines = np.concatenate(([0], np.cumsum(stream.is_line_break)))
    used = np.flatnonzero(slot_sizes)
    sizes = slot_sizes[used]
    line = slot_lines[used]
    first = np.cumsum(sizes) - sizes  # index of each segment's first value

    column = values[first]
    running = np.cumsum(column)
    line_start = np.flatnonzero(np.diff(line, prepend=-1))
    before_line = np.where(line_start > 0, running[line_start - 1], 0)
    column = running - np.repeat(before_line, np.diff(np.append(line_start, line.size)))

    has_source = sizes >= 4
    source = _running_field(values, first + 1, has_source)
    original_line = _running_field(values, first + 2, has_source)
    original_column = _running_field(values, first + 3, has_source)
    name = _running_field(values, first + 4, sizes == 5)

    segments = Segments(line, column, source, original_line, original_column, name)
    _check_ranges(segments, has_source, sizes == 5, source_count, name_count, text, separators, used, where)
    return segments


def _running_field(values: np.ndarray, positions: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Absolute values of a field that is relative to its previous occurrence map-wide."""
    field = np.full(positions.size, -1, dtype=np.int64)
    field[present] = np.cumsum(values[positions[present]])
    return field


def _slot_offset(separators: np.ndarray, slot: int) -> int:
    return int(separators[slot - 1]) + 1 if slot > 0 else 0


def _check_ranges(segments: Segments, has_source: np.ndarray, has_name: np.ndarray,
                  source_count: int, name_count: int, text: bytes, separators: np.ndarray,
                  used: np.ndarray, where: str) -> None:
    def where_segment(index: int) -> str:
        line = int(segments.line[index])
        return f"{where}: mappings: segment at offset {_slot_offset(separators, int(used[index]))} (generated line {line})"

    checks = (
        ("generated column", segments.column, np.ones_like(has_source)),
        ("source index", segments.source, has_source),
        ("original line", segments.original_line, has_source),
        ("original column", segments.original_column, has_source),
        ("name index", segments.name, has_name),
    )
    for label, field, present in checks:
        bad = np.flatnonzero(present & ((field < 0) | (field > MAX_VALUE)))
        if bad.size:
            index = int(bad[0])
            raise InvalidSegmentError(f"{where_segment(index)}: {label} {int(field[index])} out of range")
    for label, field, count in (("source index", segments.source, source_count),
                                ("name index", segments.name, name_count)):
        bad = np.flatnonzero(field >= count)
        if bad.size:
            index = int(bad[0])
            raise IndexOutOfBoundsError(
                f"{where_segment(index)}: {label} {int(field[index])} but the map has {count}"
            )


def _decode_index_map(raw: dict[str, Any]) -> tuple[Segments, _Tables, str | None]:
    _check_version(raw, "index map")
    file = _optional_string(raw, "file", "index map")
    if "mappings" in raw:
        raise InvalidSectionsError("index map: has both `sections` and `mappings`")
    sections = raw["sections"]
    if not isinstance(sections, list):
        raise InvalidSectionsError(f"index map: `sections` must be a list, got {type(sections).__name__}")
    parts: list[Segments] = []
    tables = _Tables([], [], [], [])
    previous_offset: tuple[int, int] | None = None
    previous_end: tuple[int, int] | None = None
    for position, section in enumerate(sections):
        where = f"sections[{position}]"
        offset = _section_offset(section, where)
        if previous_offset is not None and offset <= previous_offset:
            raise InvalidSectionsError(f"{where}: offset {offset} is not after the previous section's {previous_offset}")
        if previous_end is not None and offset <= previous_end:
            raise InvalidSectionsError(f"{where}: offset {offset} overlaps the previous section's mappings")
        inner = section.get("map")
        if not isinstance(inner, dict):
            raise InvalidSectionsError(f"{where}: `map` must be an object")
        if "sections" in inner:
            raise InvalidSectionsError(f"{where}: a section's map cannot itself be an index map")
        segments, inner_tables, _ = _decode_regular_map(inner, f"{where}.map")
        placed = segments.shifted(offset[0], offset[1], len(tables.sources), len(tables.names))
        parts.append(placed)
        tables.ignored.extend(i + len(tables.sources) for i in inner_tables.ignored)
        tables.sources.extend(inner_tables.sources)
        tables.contents.extend(inner_tables.contents)
        tables.names.extend(inner_tables.names)
        previous_offset = offset
        if placed.line.size:
            previous_end = (int(placed.line[-1]), int(placed.column[placed.line == placed.line[-1]].max()))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Segments(*[empty] * 6), tables, file
    return Segments(*(np.concatenate(column) for column in zip(*parts))), tables, file


def _section_offset(section: Any, where: str) -> tuple[int, int]:
    if not isinstance(section, dict):
        raise InvalidSectionsError(f"{where}: must be an object")
    offset = section.get("offset")
    if not isinstance(offset, dict):
        raise InvalidSectionsError(f"{where}: `offset` must be an object with `line` and `column`")
    values = []
    for field in ("line", "column"):
        value = offset.get(field)
        if type(value) is not int or not 0 <= value <= MAX_VALUE:
            raise InvalidSectionsError(f"{where}: `offset.{field}` must be a non-negative integer, got {value!r}")
        values.append(value)
    return values[0], values[1]




def parse_source_map(data: bytes | str, *, minified_source: bytes | str | None = None) -> SourceMap:
    """Decode a source map; with the minified source, also build its function scopes."""
    source_map = decode_source_map(data)
    if minified_source is not None:
        from symbols.sourcemaps.scopes import build_scope_table

        source_map.scopes = build_scope_table(minified_source, source_map)
    return source_map


__all__ = ["Segments", "decode_source_map", "parse_source_map"]
