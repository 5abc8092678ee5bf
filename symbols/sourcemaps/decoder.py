"""Raw JSON wire shape -> validated `SourceMap`: the one place input is checked.

Order of work: JSON (orjson) -> top-level fields by type -> for a regular map, the
`mappings` string through `vlq.decode_stream` (values) and `segments.decode_segments`
(segments of 1, 4 or 5 fields made absolute and checked), all vectorized, a ~128 KB piece
at a time for long strings (`chunked.py`). When the optional C extension `_mappings` is
built, it decodes `mappings` in one pass first; it returns None on any fault, and the
numpy path then runs to raise the exact error. For an index map (`sections`), each section
decoded the same way, checked for order and overlap, then flattened into one map.

Sizes are checked against `limits.Limits` before the work they would cost: list lengths
once the JSON is read, a `mappings` string's lines and segments from its separators
(counted before any table is allocated, by either decoder), index-map offsets against
the line cap. Work is proportional to segments and lines, never to an offset alone.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from symbols.sourcemaps.chunked import PIECE, decode_in_pieces
from symbols.sourcemaps.errors import (
    InvalidFieldError,
    InvalidSectionsError,
    InvalidVlqError,
    MissingFieldError,
    SourceMapError,
)
from symbols.sourcemaps.fields import (
    check_cap,
    check_version,
    ignore_list,
    load_json,
    optional_string,
    string_list,
)
from symbols.sourcemaps.limits import DEFAULT_LIMITS, Limits
from symbols.sourcemaps.model import SourceMap, build_columns
from symbols.sourcemaps.segments import Segments, decode_segments
from symbols.sourcemaps.urls import resolve_source
from symbols.sourcemaps.vlq import MAX_VALUE, decode_stream

_CONTRACT = 2  # the shape of `_mappings.decode`'s result this wrapper reads
try:  # the optional one-pass C decoder (`_mappings.c`); without it, numpy does all the work
    from symbols.sourcemaps import _mappings as accelerator
except ImportError:
    accelerator = None
if getattr(accelerator, "CONTRACT", None) != _CONTRACT:  # a stale build (not in git): ignore it
    accelerator = None  # tests also set this to None to exercise the numpy path alone


class _Tables(NamedTuple):
    sources: list[str | None]
    contents: list[str | None]
    names: list[str]
    ignored: list[int]


def decode_source_map(data: bytes | str, *, limits: Limits = DEFAULT_LIMITS) -> SourceMap:
    """Validate and decode a source map (regular or index map) into a `SourceMap`."""
    raw = load_json(data)
    if "sections" in raw:
        segments, tables, file = _decode_index_map(raw, limits)
        ordered = False  # sections were concatenated: let build_columns check the order
    else:
        (segments, ordered), tables, file = _decode_regular_map(raw, "map", limits)
    return SourceMap(
        columns=build_columns(*segments, ordered=ordered),
        sources=tables.sources,
        sources_content=tables.contents,
        names=tables.names,
        ignored=tables.ignored,
        file=file,
    )


def _decode_regular_map(raw: dict[str, Any], where: str, limits: Limits, *, line_offset: int = 0,
                        segments_before: int = 0) -> tuple[tuple[Segments, bool], _Tables, str | None]:
    """One map's segments and tables. In an index map, its section starts at `line_offset`
    and `segments_before` were decoded already: both count against the caps."""
    check_version(raw, where)
    file = optional_string(raw, "file", where)
    source_root = optional_string(raw, "sourceRoot", where)
    sources = string_list(raw, "sources", where, nullable=True, cap=limits.sources)
    if sources is None:
        raise MissingFieldError(f"{where}: `sources` is missing")
    contents = string_list(raw, "sourcesContent", where, nullable=True, cap=limits.sources) or []
    names = string_list(raw, "names", where, nullable=False, cap=limits.names) or []
    if "mappings" not in raw:
        raise MissingFieldError(f"{where}: `mappings` is missing")
    mappings = raw["mappings"]
    if not isinstance(mappings, str):
        raise InvalidFieldError(f"{where}: `mappings` must be a string, got {type(mappings).__name__}")
    ignored = ignore_list(raw, len(sources), where, limits.sources)
    segments = _decode_mappings(mappings, len(sources), len(names), where,
                                max_lines=limits.lines - line_offset,
                                max_segments=limits.segments - segments_before)
    tables = _Tables(
        sources=[None if s is None else resolve_source(source_root, s) for s in sources],
        contents=(contents + [None] * len(sources))[: len(sources)],
        names=names,
        ignored=ignored,
    )
    return segments, tables, file


def _decode_mappings(mappings: str, source_count: int, name_count: int, where: str, *,
                     max_lines: int = DEFAULT_LIMITS.lines,
                     max_segments: int = DEFAULT_LIMITS.segments) -> tuple[Segments, bool]:
    if not mappings.isascii():
        at = next(i for i, char in enumerate(mappings) if not char.isascii())
        raise InvalidVlqError(f"{where}: mappings: invalid character {mappings[at]!r} at offset {at}")
    text = mappings.encode("ascii")
    if accelerator is not None and (
            decoded := _decode_accelerated(text, source_count, name_count, max_lines, max_segments)):
        return decoded
    # Lines and segments from the separators, before any table is sized by them: there
    # is a segment after each `,`, and at most one more per line.
    check_cap(text.count(b";") + 1, max_lines, f"{where}: mappings has", "lines")
    check_cap(text.count(b",") + 1, max_segments, f"{where}: mappings has at least", "segments")
    decoded = None
    if len(text) > 2 * PIECE:
        try:
            decoded = decode_in_pieces(text, source_count, name_count)
        except SourceMapError:
            pass  # decoded whole below, which names the fault exactly
    if decoded is None:
        try:
            stream = decode_stream(text)
        except InvalidVlqError as error:
            raise InvalidVlqError(f"{where}: {error.message}") from None
        decoded = decode_segments(stream, source_count, name_count, where)[:2]
    check_cap(decoded[0].column.size, max_segments, f"{where}: mappings has", "segments")
    return decoded


def _decode_accelerated(text: bytes, source_count: int, name_count: int,
                        max_lines: int = DEFAULT_LIMITS.lines,
                        max_segments: int = DEFAULT_LIMITS.segments) -> tuple[Segments, bool] | None:
    """The C decoder's result as `Segments` (views of its buffers, no copy), or None on any
    fault, a cap included: the numpy path then raises the exact error."""
    decoded = accelerator.decode(text, source_count, name_count, max_lines, max_segments)
    if decoded is None:
        return None
    line_buffer, field_buffer, count, capacity, ordered = decoded
    fields = np.frombuffer(field_buffer, np.int32).reshape(5, capacity)[:, :count]
    return Segments(np.frombuffer(line_buffer, np.int64), *fields), ordered


class _Placed(NamedTuple):
    """A section's segments (fields shifted into the whole map, lines its own) and its first line."""

    line: int
    segments: Segments

    def line_end(self) -> int:
        return self.line + self.segments.line_starts.size - 1


def _decode_index_map(raw: dict[str, Any], limits: Limits) -> tuple[Segments, _Tables, str | None]:
    check_version(raw, "index map")
    file = optional_string(raw, "file", "index map")
    if "mappings" in raw:
        raise InvalidSectionsError("index map: has both `sections` and `mappings`")
    sections = raw["sections"]
    if not isinstance(sections, list):
        raise InvalidSectionsError(f"index map: `sections` must be a list, got {type(sections).__name__}")
    check_cap(len(sections), limits.sections, "index map: has", "sections")
    parts: list[_Placed] = []
    tables = _Tables([], [], [], [])
    previous_offset: tuple[int, int] | None = None
    previous_end: tuple[int, int] | None = None
    segment_count = 0
    for position, section in enumerate(sections):
        where = f"sections[{position}]"
        offset = _section_offset(section, where, limits)
        if previous_offset is not None and offset <= previous_offset:
            raise InvalidSectionsError(f"{where}: offset {offset} is not after the previous section's {previous_offset}")
        if previous_end is not None and offset <= previous_end:
            raise InvalidSectionsError(f"{where}: offset {offset} overlaps the previous section's mappings, which reach {previous_end}")
        inner = section.get("map")
        if not isinstance(inner, dict):
            raise InvalidSectionsError(f"{where}: `map` must be an object")
        if "sections" in inner:
            raise InvalidSectionsError(f"{where}: a section's map cannot itself be an index map")
        (segments, _), inner_tables, _ = _decode_regular_map(
            inner, f"{where}.map", limits, line_offset=offset[0], segments_before=segment_count)
        placed = _Placed(offset[0], _shifted(segments, offset[1], len(tables.sources), len(tables.names)))
        parts.append(placed)
        segment_count += segments.column.size
        tables.ignored.extend(i + len(tables.sources) for i in inner_tables.ignored)
        tables.sources.extend(inner_tables.sources)
        tables.contents.extend(inner_tables.contents)
        tables.names.extend(inner_tables.names)
        check_cap(len(tables.sources), limits.sources, "index map: has", "sources")
        check_cap(len(tables.names), limits.names, "index map: has", "names")
        previous_offset = offset
        if (last := placed.segments.last_position()) is not None:
            previous_end = (last[0] + placed.line, last[1])
    return _concatenate(parts), tables, file


def _shifted(segments: Segments, columns: int, sources: int, names: int) -> Segments:
    """A section's segments moved right by its column offset on its first line, its sources
    and names appended to the map's (its lines stay its own: see `_concatenate`)."""
    column = segments.column.astype(np.int64)  # the offset may take it past int32
    column[: segments.line_starts[1] if segments.line_starts.size > 1 else 0] += columns
    return Segments(
        segments.line_starts.copy(),
        column,
        np.where(segments.source >= 0, segments.source + sources, -1),
        segments.original_line.copy(),  # out of the scratch buffers the next section reuses
        segments.original_column.copy(),
        np.where(segments.name >= 0, segments.name + names, -1),
    )


def _concatenate(parts: list[_Placed]) -> Segments:
    """Sections in order, as one map (they are checked not to overlap). Costs one entry
    per segment and one per line of the whole map (capped), whatever the offsets."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Segments(np.zeros(1, dtype=np.int64), *[empty] * 5)
    lines = np.concatenate([part.segments.lines() + part.line for part in parts])
    per_line = np.bincount(lines, minlength=max(part.line_end() for part in parts))
    fields = [np.concatenate(column) for column in list(zip(*(part.segments for part in parts)))[1:]]
    return Segments(np.concatenate(([0], np.cumsum(per_line))), *fields)


def _section_offset(section: Any, where: str, limits: Limits) -> tuple[int, int]:
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
    check_cap(values[0], limits.lines - 1, f"{where}: `offset.line` is")
    check_cap(values[1], limits.offset_column, f"{where}: `offset.column` is")
    return values[0], values[1]




def parse_source_map(data: bytes | str, *, minified_source: bytes | str | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> SourceMap:
    """Decode a source map; with the minified source, also build its function scopes."""
    source_map = decode_source_map(data, limits=limits)
    if minified_source is not None:
        from symbols.sourcemaps.scopes import build_scope_table

        source_map.scopes = build_scope_table(minified_source, source_map, limits=limits)
    return source_map


__all__ = ["Segments", "decode_source_map", "parse_source_map"]
