"""A worker inside the service process (``SYMBOLS_EMBEDDED_WORKER``, on by default), so
``make run`` processes uploads with no second command. It shares the service's
database, blob store and index process pool; at shutdown it finishes the job in hand
(for at most one lease), then the service closes the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from symbols.api import CONTEXT
from symbols.api.resolve import RESOLUTION

from .handlers import Deps
from .worker import worker_from_settings

log = logging.getLogger("workers.embedded")


async def embedded_worker(app: web.Application) -> AsyncIterator[None]:
    """An aiohttp cleanup context: pass it in ``create_app(..., background=[...])``."""
    ctx = app[CONTEXT]
    worker = worker_from_settings(
        ctx.settings,
        Deps(ctx.db, ctx.store, app[RESOLUTION].builder),
        worker_id=None,
        metrics=ctx.metrics,  # runs are counted on the service's /metrics
    )
    task = asyncio.create_task(worker.run(), name="embedded-worker")
    yield
    worker.stop()
    try:
        await asyncio.wait_for(task, timeout=ctx.settings.job_lease_seconds)
    except TimeoutError:
        log.warning("embedded worker did not finish its job in time; its lease will expire")


__all__ = ["embedded_worker"]
