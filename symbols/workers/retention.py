"""Event retention: with ``SYMBOLS_EVENT_RETENTION_DAYS`` set, every worker process deletes
events past it once an hour (``errortracking.events.purge_expired_events``: one project
at a time, 5,000 rows per transaction, so no lock is held for long). Several workers
doing it at once only share the work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from ..db import Database, DatabaseUnavailable
from ..errortracking.events import purge_expired_events

log = logging.getLogger("workers.retention")

INTERVAL_SECONDS = 3600.0


async def retention_loop(db: Database, days: int, *, interval: float = INTERVAL_SECONDS) -> None:
    while True:
        try:
            await purge_expired_events(db, days)
        except DatabaseUnavailable as exc:
            log.warning("retention: database unavailable (%s); trying again later", exc)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def retention_running(db: Database, days: int | None) -> AsyncIterator[None]:
    """Run ``retention_loop`` while the block runs (nothing when ``days`` is None)."""
    if days is None:
        yield
        return
    task = asyncio.create_task(retention_loop(db, days), name="event-retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
