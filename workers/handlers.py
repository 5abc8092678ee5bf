"""Job handlers: ``kind`` -> coroutine ``handler(deps, job)``.

A handler returns normally when the job is finished, including when the input was bad
and that fault has been recorded (a symbol set's ``failure_reason``): bad input is
never retried. It raises ``Retry`` (or anything else) for infrastructure faults
(blob store or database unavailable, a crashed index process), which are retried with
backoff and end ``dead`` after the job's ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from symbols.db import PROCESS_SYMBOL_SET, Database
from symbols.db.symbol_sets import get_symbol_set, mark_processed, record_failure
from symbols.indexing import MISSING_CHUNK_ID_DATA, BuildFailure, IndexBuilder, index_key
from symbols.storage import BlobNotFound, BlobStore, BlobStoreUnavailable

from .queue import Job

log = logging.getLogger("workers.handlers")


class Retry(Exception):
    """A transient fault: run the job again later."""


@dataclass
class Deps:
    """What handlers use; built by the worker (or the service for its embedded one)."""

    db: Database
    store: BlobStore
    builder: IndexBuilder


Handler = Callable[[Deps, Job], Awaitable[None]]


async def process_symbol_set(deps: Deps, job: Job) -> None:
    """Read the blob, build and store its index, record the outcome on the set."""
    set_id = job.payload.get("symbol_set_id")
    if not isinstance(set_id, str):
        log.warning("job %s has no symbol_set_id; nothing to do", job.id)
        return
    async with deps.db.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id)
    if symbol_set is None or symbol_set.storage_ptr is None or symbol_set.content_hash is None:
        log.info("symbol set %s is gone or not uploaded; nothing to do", set_id)
        return
    ptr = symbol_set.storage_ptr
    outcome = await build_and_store(deps, set_id, ptr)
    if outcome is None:
        log.info("symbol set %s processed", set_id, extra={"symbol_set_id": set_id, "job_id": job.id})
    else:
        log.info(
            "symbol set %s failed: %s",
            set_id,
            outcome.failure_reason(),
            extra={"symbol_set_id": set_id, "job_id": job.id},
        )


async def build_and_store(deps: Deps, set_id: str, storage_ptr: str) -> BuildFailure | None:
    """Build the index of the blob at ``storage_ptr``, store it at ``{ptr}.index`` and
    mark the set processed; or record why it cannot be used. Shared with the resolver's
    on-demand build. Returns the recorded failure, None on success."""
    try:
        blob = await deps.store.get_bytes(storage_ptr)
    except BlobNotFound:
        failure = BuildFailure(MISSING_CHUNK_ID_DATA, f"the uploaded file is missing from storage ({storage_ptr})")
        async with deps.db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, failure.failure_reason())
        return failure
    except BlobStoreUnavailable as exc:
        raise Retry(f"blob store unavailable: {exc}") from exc
    result = await deps.builder.build(blob)
    if result.failure is not None:
        async with deps.db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, result.failure.failure_reason())
        return result.failure
    if result.scope_error:
        log.warning("symbol set %s: no function scopes (%s)", set_id, result.scope_error)
    try:
        await deps.store.put_bytes(index_key(storage_ptr), result.index)
    except BlobStoreUnavailable as exc:
        raise Retry(f"blob store unavailable: {exc}") from exc
    async with deps.db.begin() as conn:
        await mark_processed(conn, set_id, storage_ptr)
    return None


HANDLERS: dict[str, Handler] = {PROCESS_SYMBOL_SET: process_symbol_set}

__all__ = ["HANDLERS", "Deps", "Handler", "Retry", "build_and_store", "process_symbol_set"]
