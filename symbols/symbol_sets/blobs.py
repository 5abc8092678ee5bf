"""Where a symbol set's bytes live in the blob store: its blob and the index built from it.

Every key is made here: ``blob_key`` for an upload, ``index_key`` beside it. Deleting a
set removes both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..db.types import new_uuid
from ..storage import BlobStore

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".index"


def blob_key(project_id: int) -> str:
    """A fresh storage key for a symbol set blob of ``project_id``."""
    return f"symbolsets/{project_id}/{new_uuid()}"


def index_key(storage_ptr: str) -> str:
    """Where the lookup index of the blob at ``storage_ptr`` is stored."""
    return storage_ptr + INDEX_SUFFIX


def blob_and_index_keys(ptrs: Iterable[str | None]) -> list[str]:
    return [key for ptr in ptrs if ptr for key in (ptr, index_key(ptr))]


async def delete_blobs(store: BlobStore, ptrs: Iterable[str | None]) -> None:
    """Remove blobs and their indexes; raises BlobStoreUnavailable."""
    keys = blob_and_index_keys(ptrs)
    if keys:
        await store.delete_many(keys)


async def discard_blobs(store: BlobStore, ptrs: Iterable[str | None]) -> None:
    """Best-effort cleanup after the fact: failures are logged, never raised."""
    ptrs = list(ptrs)
    try:
        await delete_blobs(store, ptrs)
    except Exception:
        log.exception("could not remove blobs %s", ptrs)


__all__ = ["INDEX_SUFFIX", "blob_and_index_keys", "blob_key", "delete_blobs", "discard_blobs", "index_key"]
