"""Changing and removing symbol sets (uploads are ``upload.py``'s)."""

from __future__ import annotations

from ..db import Database, WriteConflict
from ..db.symbol_sets import (
    SymbolSet,
    delete_symbol_sets,
    get_symbol_set,
    get_symbol_set_by_ref,
    get_symbol_sets,
    update_symbol_set,
)
from ..errors import InvalidInput, Missing
from ..storage import BlobStore
from .blobs import delete_blobs
from .releases import require_releases


def _ref_in_use() -> InvalidInput:
    return InvalidInput("ref_in_use", "Another symbol set of this project has that ref.", "ref")


async def get_one(db: Database, project_id: int, set_id: str) -> SymbolSet:
    """One set of the project (``Missing`` when there is none)."""
    async with db.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id, project_id=project_id)
    if symbol_set is None:
        raise Missing()
    return symbol_set


async def change(db: Database, project_id: int, symbol_set: SymbolSet, changes: dict) -> SymbolSet:
    """Set ``ref`` (unique in the project) and/or ``release_id`` (None detaches)."""
    if changes:
        try:
            async with db.begin() as conn:
                await require_releases(conn, project_id, [changes.get("release_id")])
                other = await get_symbol_set_by_ref(conn, project_id, changes.get("ref", symbol_set.ref))
                if other is not None and other.id != symbol_set.id:
                    raise _ref_in_use()
                await update_symbol_set(conn, symbol_set.id, **changes)
        except WriteConflict:  # a concurrent update took the ref
            raise _ref_in_use() from None
    return await get_one(db, project_id, symbol_set.id)


async def delete_many(db: Database, store: BlobStore, project_id: int, ids: list[str]) -> int:
    """Blobs and indexes go first: if the store is down nothing changes. The count deleted."""
    async with db.connect() as conn:
        sets = await get_symbol_sets(conn, project_id, ids)
    await delete_blobs(store, [s.storage_ptr for s in sets])
    async with db.begin() as conn:
        return await delete_symbol_sets(conn, project_id, [s.id for s in sets])


__all__ = ["change", "delete_many", "get_one"]
