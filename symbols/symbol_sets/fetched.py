"""Symbol sets made from what the service fetched (``resolve.fetching``): the script and
its map as one container, named by the script's URL, processed like an upload; a fetch
that failed is recorded too, as a set without a blob whose failure reason says why (it
is listed, and frames of that URL are not fetched again until it is deleted; the events
waiting for it are resolved again, to that failure)."""

from __future__ import annotations

import hashlib

from ..db import Database
from ..db.events import enqueue_waiting_events, lock_refs
from ..db.jobs import enqueue_symbol_set_processing
from ..db.symbol_sets import get_symbol_set_by_ref, insert_symbol_set, set_failure_reason
from ..storage import BlobStore
from .blobs import blob_key, discard_blobs
from .container import pack
from .failures import BuildFailure

FETCH_FAILED = "FetchFailed"


async def record_fetched(
    db: Database, store: BlobStore, project_id: int, url: str, *,
    script: bytes | None = None, source_map: bytes | None = None, failure: str | None = None,
) -> str | None:
    """Store a fetched pair (or the failure) as the set of ``url``; its id, or None when
    another process recorded that URL first."""
    key = data = None
    if failure is None:
        data = pack(source_map, script)
        key = blob_key(project_id)
        await store.put_bytes(key, data)
    async with db.begin() as conn:
        # Waits being stored for this URL right now are seen once they commit.
        await lock_refs(conn, project_id, [url], exclusive=True)
        if await get_symbol_set_by_ref(conn, project_id, url) is not None:
            created = None
        else:
            created = await insert_symbol_set(
                conn, project_id=project_id, ref=url, storage_ptr=key, url=url,
                content_hash=hashlib.sha512(data).hexdigest() if data else None,
                size_bytes=len(data) if data else None,
            )
            if failure is not None:
                await set_failure_reason(conn, created, BuildFailure(FETCH_FAILED, failure).failure_reason())
                # Events waiting for this fetch (the pipeline's) get its failure now.
                await enqueue_waiting_events(conn, created)
            else:
                await enqueue_symbol_set_processing(conn, created, project_id)
    if created is None and key is not None:
        await discard_blobs(store, [key])
    return created


__all__ = ["FETCH_FAILED", "record_fetched"]
