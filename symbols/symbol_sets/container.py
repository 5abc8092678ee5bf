"""Blob formats a symbol set may be uploaded as, and how to read and write them.

Accepted: raw source map JSON, gzip of it, and PostHog's container: the 22 bytes
``posthog_error_tracking``, u32 version (1 or 2), u32 data type (2 = source and map);
version 2 adds one compression byte (0 none, 1 zstd over the whole payload). The
payload is u64 length + minified source, then u64 length + map. Integers are
little-endian. Other data types (Hermes, ProGuard, ...) are recognised and refused.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import Enum

import zstandard

MAGIC = b"posthog_error_tracking"
SOURCE_AND_MAP = 2
_DATA_TYPE_NAMES = {2: "SourceAndMap", 3: "HermesMap", 4: "ProguardMapping"}
COMPRESSION_NONE = 0
COMPRESSION_ZSTD = 1
_HEADER = struct.Struct("<II")
_LENGTH = struct.Struct("<Q")


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
    source_map: bytes
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


def unpack(blob: bytes, *, max_output: int = 1 << 30) -> SymbolSetContent:
    """The source map (and minified source, when carried) inside a stored blob."""
    fmt = sniff(blob[: len(MAGIC) + _HEADER.size + 1])
    if fmt is BlobFormat.SOURCE_MAP:
        return SymbolSetContent(blob, None)
    if fmt is BlobFormat.GZIP:
        return SymbolSetContent(_gunzip(blob, max_output), None)
    version, _ = _check_container_header(blob)
    offset = len(MAGIC) + _HEADER.size
    payload: bytes | memoryview = memoryview(blob)[offset:]
    if version == 2:
        if not payload:
            raise ContainerError("invalid_container", "container is missing its compression byte")
        compression = payload[0]
        payload = payload[1:]
        if compression == COMPRESSION_ZSTD:
            payload = _unzstd(bytes(payload), max_output)
        elif compression != COMPRESSION_NONE:
            raise ContainerError("invalid_container", f"unknown compression {compression}")
    source, rest = _take(payload, "minified source")
    source_map, rest = _take(rest, "source map")
    if len(rest):
        raise ContainerError("invalid_container", f"{len(rest)} unexpected bytes after the source map")
    return SymbolSetContent(bytes(source_map), bytes(source))


def pack(source_map: bytes, minified_source: bytes, *, zstd_level: int | None = 3) -> bytes:
    """A version 2 container (zstd-compressed unless ``zstd_level`` is None)."""
    payload = (
        _LENGTH.pack(len(minified_source)) + minified_source + _LENGTH.pack(len(source_map)) + source_map
    )
    if zstd_level is None:
        return MAGIC + _HEADER.pack(2, SOURCE_AND_MAP) + bytes([COMPRESSION_NONE]) + payload
    compressed = zstandard.ZstdCompressor(level=zstd_level).compress(payload)
    return MAGIC + _HEADER.pack(2, SOURCE_AND_MAP) + bytes([COMPRESSION_ZSTD]) + compressed


def _take(data: bytes | memoryview, what: str) -> tuple[bytes | memoryview, bytes | memoryview]:
    if len(data) < _LENGTH.size:
        raise ContainerError("invalid_container", f"container is truncated before the {what} length")
    (length,) = _LENGTH.unpack_from(data, 0)
    end = _LENGTH.size + length
    if end > len(data):
        raise ContainerError(
            "invalid_container",
            f"container says the {what} has {length} bytes but only {len(data) - _LENGTH.size} follow",
        )
    return data[_LENGTH.size:end], data[end:]


def _gunzip(blob: bytes, max_output: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(blob, max_output + 1)
    except zlib.error as exc:
        raise ContainerError("invalid_gzip", f"gzip data is corrupt: {exc}") from None
    if len(out) > max_output:
        raise ContainerError("too_large", f"decompressed map exceeds {max_output} bytes")
    if not decompressor.eof:
        raise ContainerError("invalid_gzip", "gzip data is truncated")
    return out


def _unzstd(data: bytes, max_output: int) -> bytes:
    # Read in bounded steps: a small zstd frame may claim gigabytes.
    decompressor = zstandard.ZstdDecompressor().decompressobj()
    out = bytearray()
    try:
        for start in range(0, len(data), 1 << 20):
            out += decompressor.decompress(data[start:start + (1 << 20)])
            if len(out) > max_output:
                raise ContainerError("too_large", f"decompressed container exceeds {max_output} bytes")
    except zstandard.ZstdError as exc:
        raise ContainerError("invalid_zstd", f"zstd data is corrupt: {exc}") from None
    if not decompressor.eof:
        raise ContainerError("invalid_zstd", "zstd data is truncated")
    return bytes(out)


__all__ = [
    "BlobFormat",
    "ContainerError",
    "SymbolSetContent",
    "pack",
    "sniff",
    "unpack",
]
