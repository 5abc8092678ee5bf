"""PostHog's older upload of one set's files: ``PATCH symbol_sets/{id}/`` with the map and
the minified script as two multipart parts (the form its pages send for a set that is
still missing its files). They are packed into the v2 container every other upload stores,
then recorded like a direct upload (``upload.store_direct``: the set keeps its ref and
release; identical content is a no-op; processing is queued)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from pathlib import Path

from ..db import Database
from ..db.symbol_sets import SymbolSet
from ..storage import BlobStore
from .container import pack
from .upload import SpooledFile, store_direct


async def store_pair(db: Database, store: BlobStore, symbol_set: SymbolSet, *, source_map: bytes,
                     minified: bytes, tmp_dir: Path, prefix: str) -> bool:
    """Whether new bytes were stored for ``symbol_set``."""
    data = await asyncio.to_thread(pack, source_map, minified)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix=prefix, delete=False) as out:
        path = Path(out.name)
        await asyncio.to_thread(out.write, data)
    try:
        spooled = SpooledFile(path, len(data), hashlib.sha512(data).hexdigest(), data[:64])
        _, stored = await store_direct(db, store, symbol_set.team_id, symbol_set.ref, None, symbol_set, spooled)
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return stored
