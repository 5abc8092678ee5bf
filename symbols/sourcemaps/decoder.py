"""Raw JSON wire shape -> validated `SourceMap`: the one place input is checked.

Order of work: JSON (orjson) -> top-level fields by type -> for a regular map, the
`mappings` string through `vlq.decode_stream` (values) and `segments.decode_segments`
(segments of 1, 4 or 5 fields made absolute and checked), all vectorized, a ~128 KB piece
at a time for long strings (`chunked.py`). When the optional C extension `_mappings` is
built, it decodes `mappings` in one pass first; it returns None on any fault, and the
numpy path then runs to raise the exact error. For an index map (`sections`), each section
decoded the same way, checked for order and overlap, then flattened into one map.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import orjson

from symbols.sourcemaps.chunked import PIECE, decode_in_pieces
from symbols.sourcemaps.errors import (
    IndexOutOfBoundsError,
    InvalidFieldError,
    InvalidJsonError,
    InvalidSectionsError,
    InvalidVersionError,
    InvalidVlqError,
    MissingFieldError,
    SourceMapError,
)
from symbols.sourcemaps.model import SourceMap, build_columns
from symbols.sourcemaps.segments import Segments, decode_segments
from symbols.sourcemaps.urls import resolve_source
from symbols.sourcemaps.vlq import MAX_VALUE, decode_stream

_CONTRACT = 1  # the shape of `_mappings.decode`'s result this wrapper reads
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


def decode_source_map(data: bytes | str) -> SourceMap:
    """Validate and decode a source map (regular or index map) into a `SourceMap`."""
    raw = _load_json(data)
    if "sections" in raw:
        segments, tables, file = _decode_index_map(raw)
        ordered = False  # sections were concatenated: let build_columns check the order
    else:
        (segments, ordered), tables, file = _decode_regular_map(raw, "map")
    return SourceMap(
        columns=build_columns(*segments, ordered=ordered),
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
    allowed = {str, type(None)} if nullable else {str}
    if not set(map(type, value)) <= allowed:  # map/set run in C; find the culprit only on failure
        position, item = next((p, i) for p, i in enumerate(value) if type(i) not in allowed)
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


def _decode_regular_map(raw: dict[str, Any], where: str) -> tuple[tuple[Segments, bool], _Tables, str | None]:
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


def _decode_mappings(mappings: str, source_count: int, name_count: int, where: str) -> tuple[Segments, bool]:
    if not mappings.isascii():
        at = next(i for i, char in enumerate(mappings) if not char.isascii())
        raise InvalidVlqError(f"{where}: mappings: invalid character {mappings[at]!r} at offset {at}")
    text = mappings.encode("ascii")
    if accelerator is not None and (decoded := _decode_accelerated(text, source_count, name_count)):
        return decoded
    if len(text) > 2 * PIECE:
        try:
            return decode_in_pieces(text, source_count, name_count)
        except SourceMapError:
            pass  # decoded whole below, which names the fault exactly
    try:
        stream = decode_stream(text)
    except InvalidVlqError as error:
        raise InvalidVlqError(f"{where}: {error.message}") from None
    segments, ordered, _ = decode_segments(stream, source_count, name_count, where)
    return segments, ordered


def _decode_accelerated(text: bytes, source_count: int, name_count: int) -> tuple[Segments, bool] | None:
    """The C decoder's result as `Segments` (views of its buffers, no copy), or None on any
    fault: the numpy path then decodes again and raises the exact error."""
    decoded = accelerator.decode(text, source_count, name_count)
    if decoded is None:
        return None
    line_buffer, field_buffer, count, capacity, ordered = decoded
    fields = np.frombuffer(field_buffer, np.int32).reshape(5, capacity)[:, :count]
    return Segments(np.frombuffer(line_buffer, np.int64), *fields), ordered


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
            raise InvalidSectionsError(f"{where}: offset {offset} overlaps the previous section's mappings, which reach {previous_end}")
        inner = section.get("map")
        if not isinstance(inner, dict):
            raise InvalidSectionsError(f"{where}: `map` must be an object")
        if "sections" in inner:
            raise InvalidSectionsError(f"{where}: a section's map cannot itself be an index map")
        (segments, _), inner_tables, _ = _decode_regular_map(inner, f"{where}.map")
        placed = _shifted(segments, offset, len(tables.sources), len(tables.names))
        parts.append(placed)
        tables.ignored.extend(i + len(tables.sources) for i in inner_tables.ignored)
        tables.sources.extend(inner_tables.sources)
        tables.contents.extend(inner_tables.contents)
        tables.names.extend(inner_tables.names)
        previous_offset = offset
        previous_end = placed.last_position() or previous_end
    return _concatenate(parts), tables, file


def _shifted(segments: Segments, offset: tuple[int, int], sources: int, names: int) -> Segments:
    """A section's segments placed at its offset, its sources and names appended to the map's."""
    lines, columns = offset
    column = segments.column.astype(np.int64)  # the offset may take it past int32
    column[: segments.line_starts[1] if segments.line_starts.size > 1 else 0] += columns
    return Segments(
        np.concatenate((np.zeros(lines, dtype=np.int64), segments.line_starts)),
        column,
        np.where(segments.source >= 0, segments.source + sources, -1),
        segments.original_line.copy(),  # out of the scratch buffers the next section reuses
        segments.original_column.copy(),
        np.where(segments.name >= 0, segments.name + names, -1),
    )


def _concatenate(parts: list[Segments]) -> Segments:
    """Sections in order, as one map (they are checked not to overlap)."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Segments(np.zeros(1, dtype=np.int64), *[empty] * 5)
    lines = np.concatenate([part.lines() for part in parts])
    line_count = max(part.line_starts.size - 1 for part in parts)
    per_line = np.bincount(lines, minlength=line_count)
    fields = [np.concatenate(column) for column in list(zip(*parts))[1:]]
    return Segments(np.concatenate(([0], np.cumsum(per_line))), *fields)


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
