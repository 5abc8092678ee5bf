"""Receiving a file part: streamed to a temporary file while hashed (SHA-512) and counted,
never held whole in memory; refused as soon as it passes the size limit."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import BodyPartReader

from ..files import owned_prefix
from ..symbol_sets.upload import SpooledFile
from .errors import PayloadTooLarge

# Spooled uploads' names start with this (then host and pid: ``files.remove_orphans``).
UPLOAD_PREFIX = "upload-"
# Bytes kept from the start of the file, enough for symbols.symbol_sets.container.sniff.
HEAD_BYTES = 64
_WRITE_BATCH = 1024 * 1024


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge("file_too_large", f"The file is larger than the limit of {max_bytes} bytes.", "file")


@contextlib.asynccontextmanager
async def spool_part(part: BodyPartReader, *, max_bytes: int, tmp_dir: Path) -> AsyncIterator[SpooledFile]:
    """The part saved to a temporary file (removed when the block exits)."""
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=owned_prefix(UPLOAD_PREFIX))
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = hashlib.sha512()
            size = 0
            head = b""
            pending = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                digest.update(chunk)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                pending += chunk
                if len(pending) >= _WRITE_BATCH:
                    await asyncio.to_thread(out.write, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(out.write, bytes(pending))
        yield SpooledFile(path=path, size=size, sha512=digest.hexdigest(), head=head)
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
