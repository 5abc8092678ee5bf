"""Blob formats a symbol set may be uploaded as, and how to read and write them.

Accepted: raw source map JSON, gzip of it, and PostHog's container: the 22 bytes
``posthog_error_tracking``, u32 version (1 or 2), u32 data type (2 = source and map);
version 2 adds one compression byte (0 none, 1 zstd over the whole payload). The
payload is u64 length + minified source, then u64 length + map. Integers are
little-endian. Other data types (Hermes, ProGuard, ...) are recognised and refused.

Decompression is bounded by `Limits.decompressed_bytes` (`symbols/sourcemaps/limits.py`):
gzip is inflated a step at a time, a zstd payload is streamed part by part, each part's
length checked against what is left of the cap before it is read, so a small bomb never
holds more than the cap plus one step. Past the cap: `ContainerError("too_large")`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import zstandard

from ..sourcemaps import DEFAULT_LIMITS, Limits

MAGIC = b"posthog_error_tracking"
SOURCE_AND_MAP = 2
_DATA_TYPE_NAMES = {2: "SourceAndMap", 3: "HermesMap", 4: "ProguardMapping"}
COMPRESSION_NONE = 0
COMPRESSION_ZSTD = 1
_HEADER = struct.Struct("<II")
_LENGTH = struct.Struct("<Q")
_STEP = 1 << 20  # bytes of gzip output per step


class BlobFormat(str, Enum):
    SOURCE_MAP = "source_map"
    GZIP = "gzip"
    CONTAINER = "container"


class ContainerError(ValueError):
    """A blob that is not a readable symbol set. ``code`` is stable, for error bodies."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SymbolSetContent:
    source_map: bytes | bytearray  # a bytearray when inflated from gzip (no copy at the end)
    minified_source: bytes | None


def sniff(head: bytes) -> BlobFormat:
    """The format of a blob from its first bytes (at least 31 for a container).

    Raises ContainerError for containers of an unsupported version or data type, and
    for bytes that are none of the accepted formats.
    """
    if head.startswith(MAGIC):
        _check_container_header(head)
        return BlobFormat.CONTAINER
    if head.startswith(b"\x1f\x8b"):
        return BlobFormat.GZIP
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b")]}")):
        return BlobFormat.SOURCE_MAP
    raise ContainerError(
        "unsupported_format",
        "not a source map: expected JSON, gzip'd JSON or a posthog_error_tracking container",
    )


def _check_container_header(head: bytes) -> tuple[int, int]:
    if len(head) < len(MAGIC) + _HEADER.size:
        raise ContainerError("invalid_container", "container header is truncated")
    version, data_type = _HEADER.unpack_from(head, len(MAGIC))
    if version not in (1, 2):
        raise ContainerError("unsupported_container_version", f"container version {version} is not supported")
    if data_type != SOURCE_AND_MAP:
        name = _DATA_TYPE_NAMES.get(data_type, f"type {data_type}")
        raise ContainerError(
            "unsupported_symbol_type",
            f"container holds {name}; only JavaScript source and map (type 2) is supported",
        )
    return version, data_type


def unpack(blob: bytes, *, limits: Limits = DEFAULT_LIMITS) -> SymbolSetContent:
    """The source map (and minified source, when carried) inside a stored blob."""
    fmt = sniff(blob[: len(MAGIC) + _HEADER.size + 1])
    if fmt is BlobFormat.SOURCE_MAP:
        return SymbolSetContent(blob, None)
    if fmt is BlobFormat.GZIP:
        return SymbolSetContent(_gunzip(blob, limits.decompressed_bytes), None)
    version, _ = _check_container_header(blob)
    payload = memoryview(blob)[len(MAGIC) + _HEADER.size :]
    compression = COMPRESSION_NONE
    if version == 2:
        if not payload:
            raise ContainerError("invalid_container", "container is missing its compression byte")
        compression, payload = payload[0], payload[1:]
        if compression not in (COMPRESSION_NONE, COMPRESSION_ZSTD):
            raise ContainerError("invalid_container", f"unknown compression {compression}")
    if compression == COMPRESSION_NONE:  # already in memory: nothing to cap
        return _parts(_slices(payload), None, "invalid_container")
    reader = zstandard.ZstdDecompressor().stream_reader(payload)
    try:
        return _parts(reader.read, limits.decompressed_bytes, "invalid_zstd")
    except zstandard.ZstdError as exc:
        raise ContainerError("invalid_zstd", f"zstd data is corrupt: {exc}") from None


def pack(source_map: bytes, minified_source: bytes, *, zstd_level: int | None = 3) -> bytes:
    """A version 2 container (zstd-compressed unless ``zstd_level`` is None)."""
    payload = (
        _LENGTH.pack(len(minified_source)) + minified_source + _LENGTH.pack(len(source_map)) + source_map
    )
    if zstd_level is None:
        return MAGIC + _HEADER.pack(2, SOURCE_AND_MAP) + bytes([COMPRESSION_NONE]) + payload
    compressed = zstandard.ZstdCompressor(level=zstd_level).compress(payload)
    return MAGIC + _HEADER.pack(2, SOURCE_AND_MAP) + bytes([COMPRESSION_ZSTD]) + compressed


def _slices(view: memoryview) -> Callable[[int], bytes]:
    position = 0

    def read(size: int) -> bytes:
        nonlocal position
        part = bytes(view[position : position + size])
        position += len(part)
        return part

    return read


def _parts(read: Callable[[int], bytes], cap: int | None, short: str) -> SymbolSetContent:
    """Source and map from a payload read in order; `read(n)` gives n bytes unless the data
    ends first (then `short` is the error code). At most `cap` bytes are read in all."""
    left = [cap]

    def take(what: str) -> bytes:
        header = read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            raise ContainerError(short, f"container is truncated before the {what} length")
        (length,) = _LENGTH.unpack(header)
        if left[0] is not None:
            left[0] -= _LENGTH.size + length
            if left[0] < 0:
                raise ContainerError("too_large", f"container says the {what} has {length} bytes: "
                                     f"more than the {cap} a symbol set may decompress to")
        data = read(length)
        if len(data) < length:
            raise ContainerError(short, f"container says the {what} has {length} bytes but only {len(data)} follow")
        return data

    source = take("minified source")
    source_map = take("source map")
    if read(1):
        raise ContainerError("invalid_container", "unexpected bytes after the source map")
    return SymbolSetContent(source_map, source)


def _gunzip(blob: bytes, cap: int) -> bytearray:
    """Inflated a step at a time into one growing buffer (no joined copy at the end)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending: bytes | memoryview = blob
    try:
        while not decompressor.eof:
            step = decompressor.decompress(pending, _STEP)
            out += step
            if len(out) > cap:
                raise ContainerError("too_large", f"decompressed map exceeds {cap} bytes")
            pending = decompressor.unconsumed_tail
            if not step and not pending:
                raise ContainerError("invalid_gzip", "gzip data is truncated")
    except zlib.error as exc:
        raise ContainerError("invalid_gzip", f"gzip data is corrupt: {exc}") from None
    return out


__all__ = [
    "BlobFormat",
    "ContainerError",
    "SymbolSetContent",
    "pack",
    "sniff",
    "unpack",
]
