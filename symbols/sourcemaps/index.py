"""The stored index: a decoded `SourceMap` as compact bytes that load without decoding.

Layout (little-endian), version 1:

    header   magic b"SYMSIDX\\0", u32 version, u32 reserved (0),
             u64 core length, u32 core CRC-32, u64 contents length, u32 contents CRC-32
    core     a table of contents, then the arrays it lists, each 8-byte aligned
    contents the same shape again, holding only `sourcesContent`

A table of contents is a u32 entry count, then one 40-byte entry per array: its name
(24 bytes of ASCII, NUL-padded), a dtype code (u8), 7 bytes of padding and its element
count (u64). Arrays follow in the order listed. Loading reads each with `np.frombuffer`:
no copy, no VLQ, no JSON.

The core holds the segment columns (`model.Columns`, in their narrowest dtypes), the
ignore list, the string tables (`names`, `sources`, `file`, the scope names) and the
function-scope table. A string table `t` is three arrays: `t.blob` (the UTF-8 bytes of
every string, concatenated), `t.ends` (each string's end offset in the blob) and
`t.null` (1 where the entry is null; omitted when none is). Strings are decoded only
when asked for.

The core's CRC-32 is checked at load; `sourcesContent` (often larger than everything
else and rarely needed) has its own, checked the first time a content is read. Every
fault (wrong magic or version, truncation, checksum mismatch, inconsistent arrays)
raises `InvalidIndexError`; the values inside arrays that pass the checksum are trusted.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence

import numpy as np

from symbols.sourcemaps.errors import InvalidIndexError
from symbols.sourcemaps.model import Columns, SourceMap, narrowest_unsigned

MAGIC = b"SYMSIDX\0"
VERSION = 1
_HEADER = struct.Struct("<8sIIQIQI")
_HEADER_SIZE = 48  # _HEADER.size (44) padded to a multiple of 8
_ENTRY = struct.Struct("<24sB7xQ")
_DTYPES = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 3: np.dtype("<u4"), 4: np.dtype("<u8"),
           5: np.dtype("<i4"), 6: np.dtype("<i8")}
_CODES = {dtype: code for code, dtype in _DTYPES.items()}
_SCOPE_FIELDS = ("start_line", "start_column", "end_line", "end_column", "parent", "name")


class StringTable(Sequence):
    """A read-only list of strings (or None) over a UTF-8 blob, decoded per item."""

    def __init__(self, blob: memoryview, ends: np.ndarray, null: np.ndarray | None,
                 verify=None) -> None:
        self._blob, self._ends, self._null, self._verify = blob, ends, null, verify

    def __len__(self) -> int:
        return self._ends.size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("string table index out of range")
        if self._verify is not None:
            self._verify()
            self._verify = None
        if self._null is not None and self._null[index]:
            return None
        start = int(self._ends[index - 1]) if index else 0
        try:
            return str(self._blob[start : int(self._ends[index])], "utf-8")
        except UnicodeDecodeError as error:
            raise InvalidIndexError(f"string {index} is not valid UTF-8: {error}") from None

    def __iter__(self) -> Iterator[str | None]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, StringTable)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StringTable({list(self)!r})"


def _string_arrays(prefix: str, strings: Sequence[str | None]) -> dict[str, np.ndarray]:
    encoded = [b"" if s is None else s.encode("utf-8", "surrogatepass") for s in strings]
    arrays = {
        f"{prefix}.blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        f"{prefix}.ends": narrowest_unsigned(np.cumsum([len(e) for e in encoded], dtype=np.int64)),
    }
    if any(s is None for s in strings):
        arrays[f"{prefix}.null"] = np.array([s is None for s in strings], dtype=np.uint8)
    return arrays


def _section(arrays: dict[str, np.ndarray]) -> bytes:
    parts = [struct.pack("<I", len(arrays))]
    for name, array in arrays.items():
        assert len(name) <= 24, name
        parts.append(_ENTRY.pack(name.encode("ascii"), _CODES[array.dtype.newbyteorder("<")], array.size))
    size = sum(map(len, parts))
    for array in arrays.values():
        parts.append(b"\0" * (-size % 8))
        size += -size % 8
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        parts.append(data)
        size += len(data)
    return b"".join(parts)


def dump_index(source_map: SourceMap) -> bytes:
    """The stored form of `source_map` (scope table and `sourcesContent` included)."""
    arrays: dict[str, np.ndarray] = dict(zip(Columns._fields, source_map.columns))
    arrays["ignored"] = np.array(source_map.ignore_list, dtype=np.uint32)
    arrays.update(_string_arrays("names", source_map.names))
    arrays.update(_string_arrays("sources", source_map.sources))
    arrays.update(_string_arrays("file", [source_map.file]))
    scopes = source_map.scopes
    if scopes is not None:
        for field in _SCOPE_FIELDS:
            arrays[f"scope.{field}"] = getattr(scopes, field)
        arrays.update(_string_arrays("scope_names", scopes.names))
    contents = [source_map.source_content(i) for i in range(len(source_map.sources))]
    core, extra = _section(arrays), _section(_string_arrays("contents", contents))
    header = _HEADER.pack(MAGIC, VERSION, 0, len(core), zlib.crc32(core), len(extra), zlib.crc32(extra))
    return header.ljust(_HEADER_SIZE, b"\0") + core + extra


def _read_section(view: memoryview, where: str) -> dict[str, np.ndarray]:
    if len(view) < 4:
        raise InvalidIndexError(f"{where}: truncated table of contents")
    (count,) = struct.unpack_from("<I", view)
    size = 4 + count * _ENTRY.size
    if size > len(view):
        raise InvalidIndexError(f"{where}: table of contents lists {count} arrays, more than fit")
    arrays: dict[str, np.ndarray] = {}
    for raw_name, code, length in _ENTRY.iter_unpack(view[4:size]):
        name = raw_name.rstrip(b"\0").decode("ascii", "replace")
        dtype = _DTYPES.get(code)
        if dtype is None:
            raise InvalidIndexError(f"{where}: array {name!r} has unknown dtype code {code}")
        size += -size % 8
        end = size + length * dtype.itemsize
        if end > len(view):
            raise InvalidIndexError(f"{where}: array {name!r} runs past the end of the data")
        arrays[name] = np.frombuffer(view[size:end], dtype=dtype)
        size = end
    if size != len(view):
        raise InvalidIndexError(f"{where}: {len(view) - size} unexpected bytes after the arrays")
    return arrays


def _require(arrays: dict[str, np.ndarray], name: str, *, unsigned: bool = True) -> np.ndarray:
    array = arrays.get(name)
    if array is None:
        raise InvalidIndexError(f"array {name!r} is missing")
    if unsigned and array.dtype.kind != "u":
        raise InvalidIndexError(f"array {name!r} must be unsigned, got {array.dtype}")
    return array


def _strings(arrays: dict[str, np.ndarray], prefix: str, verify=None) -> StringTable:
    blob = _require(arrays, f"{prefix}.blob")
    ends = _require(arrays, f"{prefix}.ends")
    null = arrays.get(f"{prefix}.null")
    if null is not None and null.size != ends.size:
        raise InvalidIndexError(f"{prefix}: {null.size} null flags for {ends.size} strings")
    if ends.size and (int(ends[-1]) != blob.size or (ends.size > 1 and (np.diff(ends.astype(np.int64)) < 0).any())):
        raise InvalidIndexError(f"{prefix}: string offsets do not fit the blob")
    return StringTable(memoryview(blob), ends, null, verify)


def load_index(data: bytes) -> SourceMap:
    """The `SourceMap` stored by `dump_index`; raises `InvalidIndexError` if unusable."""
    view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data.cast("B")
    if len(view) < _HEADER_SIZE:
        raise InvalidIndexError(f"truncated: {len(view)} bytes is shorter than the header")
    magic, version, reserved, core_size, core_crc, extra_size, extra_crc = _HEADER.unpack_from(view)
    if magic != MAGIC:
        raise InvalidIndexError("not a source-map index (wrong magic bytes)")
    if version != VERSION:
        raise InvalidIndexError(f"unsupported index version {version} (this engine reads {VERSION})")
    if reserved or any(view[_HEADER.size : _HEADER_SIZE]):
        raise InvalidIndexError("corrupt header: reserved bytes are not zero")
    if _HEADER_SIZE + core_size + extra_size != len(view):
        raise InvalidIndexError(
            f"truncated or padded: header says {_HEADER_SIZE + core_size + extra_size} bytes, got {len(view)}")
    core = view[_HEADER_SIZE : _HEADER_SIZE + core_size]
    extra = view[_HEADER_SIZE + core_size :]
    if zlib.crc32(core) != core_crc:
        raise InvalidIndexError("checksum mismatch: the index is corrupt")
    arrays = _read_section(core, "core")

    def verify_contents() -> None:
        if zlib.crc32(extra) != extra_crc:
            raise InvalidIndexError("checksum mismatch: sourcesContent is corrupt")

    contents = _strings(_read_section(extra, "contents"), "contents", verify_contents)
    columns = Columns(*(_require(arrays, field) for field in Columns._fields))
    segments = columns.column.size
    if any(field.size != segments for field in columns[1:]):
        raise InvalidIndexError("segment columns have different lengths")
    starts = columns.line_starts
    if not starts.size or starts[0] != 0 or int(starts[-1]) != segments or (np.diff(starts.astype(np.int64)) < 0).any():
        raise InvalidIndexError("line starts are inconsistent with the segments")
    sources, names = _strings(arrays, "sources"), _strings(arrays, "names")
    ignored = _require(arrays, "ignored")
    if contents.__len__() != len(sources) or (ignored.size and int(ignored.max()) >= len(sources)):
        raise InvalidIndexError("sourcesContent or ignore list do not match the sources")
    file = _strings(arrays, "file")
    if len(file) != 1:
        raise InvalidIndexError("file table must hold one entry")
    return SourceMap(columns=columns, sources=sources, sources_content=contents, names=names,
                     ignored=ignored.tolist(), file=file[0], scopes=_load_scopes(arrays))


def _load_scopes(arrays: dict[str, np.ndarray]):
    if "scope.name" not in arrays:
        return None
    from symbols.sourcemaps.scopes import ScopeTable

    fields = {field: _require(arrays, f"scope.{field}", unsigned=field != "parent")
              for field in _SCOPE_FIELDS}
    names = _strings(arrays, "scope_names")
    count = fields["name"].size
    if any(array.size != count for array in fields.values()):
        raise InvalidIndexError("scope arrays have different lengths")
    parent = fields["parent"]
    if count and (int(fields["name"].max()) >= len(names) or int(parent.max()) >= count or int(parent.min()) < -1):
        raise InvalidIndexError("scope table refers to names or scopes that do not exist")
    return ScopeTable(**fields, names=names)


__all__ = ["MAGIC", "VERSION", "StringTable", "dump_index", "load_index"]
