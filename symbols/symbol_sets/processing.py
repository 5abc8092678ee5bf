"""Processing an uploaded symbol set: build its index, store it, record the outcome.

Used by the worker's ``process_symbol_set`` job and by the resolver's on-demand build.
Input faults are recorded as the set's ``failure_reason`` and returned; blob store
faults raise ``StorageUnavailable`` (the caller may retry). When events wait for the set
(frames captured before it was uploaded), marking it processed also enqueues the job that
resolves them again, in the same transaction. A set deleted (or uploaded again) while
its index was built is not marked, and the blob and index it no longer owns are removed.
"""

from __future__ import annotations

import logging

from ..db import Database
from ..db.events import enqueue_waiting_events
from ..db.symbol_sets import mark_processed, record_failure
from ..storage import BlobNotFound, BlobStore, BlobStoreUnavailable
from .blobs import discard_blobs, index_key
from .failures import MISSING_CHUNK_ID_DATA, BuildFailure
from .pool import IndexBuilder

log = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """The blob store failed while building an index: try again later."""


async def build_and_store(
    db: Database, store: BlobStore, builder: IndexBuilder, set_id: str, storage_ptr: str
) -> BuildFailure | None:
    """Build the index of the blob at ``storage_ptr``, store it at its ``index_key`` and
    mark the set processed; or record on the set why its blob cannot be used. Returns
    the recorded failure, None on success."""
    try:
        blob = await store.get_bytes(storage_ptr)
    except BlobNotFound:
        failure = BuildFailure(MISSING_CHUNK_ID_DATA, f"the uploaded file is missing from storage ({storage_ptr})")
        async with db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, failure.failure_reason())
        return failure
    except BlobStoreUnavailable as exc:
        raise StorageUnavailable(f"blob store unavailable: {exc}") from exc
    result = await builder.build(blob)
    if result.failure is not None:
        async with db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, result.failure.failure_reason())
        return result.failure
    if result.scope_error:
        log.warning("symbol set %s: no function scopes (%s)", set_id, result.scope_error)
    try:
        await store.put_bytes(index_key(storage_ptr), result.index)
    except BlobStoreUnavailable as exc:
        raise StorageUnavailable(f"blob store unavailable: {exc}") from exc
    async with db.begin() as conn:
        marked = await mark_processed(conn, set_id, storage_ptr)
        if marked:
            await enqueue_waiting_events(conn, set_id)
    if not marked:
        # Deleted (or re-uploaded under a new key) while the index was built: no row points
        # at this blob any more, so what was just written would stay forever.
        log.info("symbol set %s changed while its index was built; index discarded", set_id)
        await discard_blobs(store, [storage_ptr])
    return None


__all__ = ["StorageUnavailable", "build_and_store"]
