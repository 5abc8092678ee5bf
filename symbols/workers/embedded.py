"""A worker inside the service process (``SYMBOLS_EMBEDDED_WORKER``, on by default), so
``make run`` processes uploads with no second command. It shares the service's
database, blob store and index process pool (``symbols.app`` hands them over); at
shutdown it finishes the job in hand (for at most one lease), then the service closes
the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from ..config import Settings
from ..metrics import Metrics
from .handlers import Deps
from .worker import worker_from_settings

log = logging.getLogger("workers.embedded")


def embedded_worker(settings: Settings, deps: Deps, metrics: Metrics) -> Callable[[object], AsyncIterator[None]]:
    """An aiohttp cleanup context running a worker while the application runs; its runs
    are counted on the service's ``metrics``."""

    async def run(_app: object) -> AsyncIterator[None]:
        worker = worker_from_settings(settings, deps, worker_id=None, metrics=metrics)
        task = asyncio.create_task(worker.run(), name="embedded-worker")
        yield
        worker.stop()
        try:
            await asyncio.wait_for(task, timeout=settings.job_lease_seconds)
        except TimeoutError:
            log.warning("embedded worker did not finish its job in time; its lease will expire")

    return run


__all__ = ["embedded_worker"]
