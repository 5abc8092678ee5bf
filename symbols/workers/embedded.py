"""A worker inside the service process (``SYMBOLS_EMBEDDED_WORKER``, on by default), so
``make run`` processes uploads and captured events with no second command: the job loop
and, unless ``SYMBOLS_PIPELINE=false``, the pipeline consumer. It shares the service's
database, blob store, index process pool and resolver (``symbols.app`` hands them over);
at shutdown it finishes the job and the batch in hand (for at most one lease each), then
the service closes the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from ..config import Settings
from ..metrics import Metrics
from .handlers import Deps
from .pipeline import PipelineConsumer
from .worker import worker_from_settings

log = logging.getLogger("workers.embedded")


def embedded_worker(
    settings: Settings, deps: Deps, metrics: Metrics, consumer: PipelineConsumer | None = None
) -> Callable[[object], AsyncIterator[None]]:
    """An aiohttp cleanup context running a worker (and ``consumer``) while the application
    runs; their runs are counted on the service's ``metrics``."""

    async def run(_app: object) -> AsyncIterator[None]:
        worker = worker_from_settings(settings, deps, worker_id=None, metrics=metrics)
        task = asyncio.create_task(worker.run(), name="embedded-worker")
        consuming = asyncio.create_task(consumer.run(), name="embedded-pipeline") if consumer else None
        yield
        worker.stop()
        if consumer is not None:
            consumer.stop()
        await _finish(task, settings.job_lease_seconds, "job")
        if consuming is not None:
            await _finish(consuming, settings.pipeline_lease_seconds, "pipeline batch")

    return run


async def _finish(task: asyncio.Task, seconds: float, what: str) -> None:
    try:
        await asyncio.wait_for(task, timeout=seconds)
    except TimeoutError:
        log.warning("embedded worker did not finish its %s in time; its lease will expire", what)


__all__ = ["embedded_worker"]
