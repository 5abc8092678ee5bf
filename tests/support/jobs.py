"""Worker fixtures: a migrated database (SQLite and PostgreSQL), a local blob store,
and helpers to create projects, symbol sets and jobs the way the upload API does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from symbols.db import Database
from symbols.db.access import create_project
from symbols.db.jobs import enqueue_symbol_set_processing
from symbols.db.symbol_sets import insert_symbol_set
from symbols.storage import LocalBlobStore
from symbols.symbol_sets.blobs import blob_key
from symbols.symbol_sets.pool import IndexBuilder
from symbols.symbol_sets.upload import SpooledFile, check_direct, store_direct
from symbols.workers import Deps


@dataclass
class Env:
    db: Database
    store: LocalBlobStore
    deps: Deps
    project_id: int

    async def upload(self, ref: str, data: bytes | None, *, store: bool = True) -> tuple[str, str]:
        """A confirmed symbol set with its processing job, like a finished upload."""
        ptr = blob_key(self.project_id)
        if store and data is not None:
            await self.store.put_bytes(ptr, data)
        async with self.db.begin() as conn:
            set_id = await insert_symbol_set(
                conn,
                project_id=self.project_id,
                ref=ref,
                storage_ptr=ptr,
                content_hash=hashlib.sha512(data or b"").hexdigest(),
                size_bytes=len(data or b""),
            )
            await enqueue_symbol_set_processing(conn, set_id, self.project_id)
        return set_id, ptr

    async def upload_direct(self, ref: str, data: bytes, tmp_dir: Path) -> str:
        """The service's direct upload of ``data`` as ``ref`` (filling the set of that ref
        if there is one, a placeholder included); the set's id."""
        path = tmp_dir / f"upload-{ref}"
        path.write_bytes(data)
        existing = await check_direct(self.db, self.project_id, ref, None)
        spooled = SpooledFile(path, len(data), hashlib.sha512(data).hexdigest(), data[:64])
        set_id, _ = await store_direct(self.db, self.store, self.project_id, ref, None, existing, spooled)
        return set_id


@pytest.fixture
async def env(database, tmp_path: Path):
    store = LocalBlobStore(tmp_path / "blobs")
    builder = IndexBuilder(0)
    async with database.begin() as conn:
        project = await create_project(conn, "web")
    yield Env(database, store, Deps(database, store, builder), project.id)
    builder.close()
    await store.close()
