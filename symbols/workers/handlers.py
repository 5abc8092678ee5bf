"""Job handlers: ``kind`` -> coroutine ``handler(deps, job)``.

A handler returns normally when the job is finished, including when the input was bad
and that fault has been recorded (a symbol set's ``failure_reason``): bad input is
never retried; the handler then returns ``FAILED_INPUT`` (the run's outcome in
metrics), else None. It raises ``Retry`` (or anything else) for infrastructure faults
(blob store or database unavailable), which are retried with
backoff and end ``dead`` after the job's ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..db import PROCESS_SYMBOL_SET, Database
from ..db.jobs import FETCH_SCRIPT, RESOLVE_WAITING_EVENTS
from ..db.queue import Job
from ..db.symbol_sets import get_symbol_set
from ..errortracking.reresolve import reresolve_awaiting
from ..resolve import Resolver
from ..resolve.fetching import ScriptFetcher
from ..storage import BlobStore
from ..symbol_sets import processing
from ..symbol_sets.failures import BuildFailure
from ..symbol_sets.pool import IndexBuilder

log = logging.getLogger("workers.handlers")


# What a handler returns when the job is finished but its input could not be used.
FAILED_INPUT = "failed_input"


class Retry(Exception):
    """A transient fault: run the job again later."""


@dataclass
class Deps:
    """What handlers use; built by ``symbols.app`` for a worker process or the service."""

    db: Database
    store: BlobStore
    builder: IndexBuilder
    # For the jobs that resolve stored events again (late symbol sets).
    resolver: Resolver | None = None
    # For the fetches the pipeline enqueued.
    fetcher: ScriptFetcher | None = None


Handler = Callable[[Deps, Job], Awaitable[str | None]]


async def process_symbol_set(deps: Deps, job: Job) -> str | None:
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
        return None
    log.info(
        "symbol set %s failed: %s",
        set_id,
        outcome.failure_reason(),
        extra={"symbol_set_id": set_id, "job_id": job.id},
    )
    return FAILED_INPUT


async def build_and_store(deps: Deps, set_id: str, storage_ptr: str) -> BuildFailure | None:
    """``symbol_sets.processing.build_and_store`` with transient faults turned into Retry."""
    try:
        return await processing.build_and_store(deps.db, deps.store, deps.builder, set_id, storage_ptr)
    except processing.StorageUnavailable as exc:
        raise Retry(str(exc)) from exc


async def resolve_waiting_events(deps: Deps, job: Job) -> str | None:
    """Resolve again the events that waited for the symbol set named ``ref``."""
    ref = job.payload.get("ref")
    if not isinstance(ref, str) or job.project_id is None:
        log.warning("job %s has no ref or project; nothing to do", job.id)
        return None
    if deps.resolver is None:
        raise Retry("this worker has no resolver")
    done = await reresolve_awaiting(deps.db, deps.resolver, job.project_id, ref)
    log.info("events waiting for %s resolved again: %s", ref, done, extra={"job_id": job.id})
    return None


async def fetch_script(deps: Deps, job: Job) -> str | None:
    """Fetch a script and its map for the pipeline and record them as the URL's set (its
    processing, or its failure, wakes the events waiting for it)."""
    url = job.payload.get("url")
    if not isinstance(url, str) or job.project_id is None:
        log.warning("job %s has no url or project; nothing to do", job.id)
        return None
    if deps.fetcher is None:
        raise Retry("this worker has no fetcher")
    recorded = await deps.fetcher.fetch(job.project_id, [url])
    log.info("fetch of %s: %s", url, "recorded" if recorded else "nothing recorded", extra={"job_id": job.id})
    return None


HANDLERS: dict[str, Handler] = {
    PROCESS_SYMBOL_SET: process_symbol_set,
    RESOLVE_WAITING_EVENTS: resolve_waiting_events,
    FETCH_SCRIPT: fetch_script,
}

__all__ = [
    "FAILED_INPUT",
    "HANDLERS",
    "Deps",
    "Handler",
    "Retry",
    "build_and_store",
    "fetch_script",
    "process_symbol_set",
    "resolve_waiting_events",
]
