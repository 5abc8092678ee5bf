"""The composition root: the one place that builds the database, the blob store, the
signer, the metrics registry, the index process pool, the resolution layers (cache,
loader, resolver) and the workers, and wires the routes.

``create_app(settings)`` is the HTTP service; it opens (and on shutdown closes) what it
is not given, so tests can inject a migrated ``db`` and a ``blob_store``. With
``embedded_worker`` a job worker runs inside it, sharing its pool and metrics.
``run_worker(settings)`` is a standalone worker process (``symbols worker``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

from aiohttp import web

from .api import CONTEXT, AppContext, setup_routes
from .api.middleware import errors, observe
from .api.signing import Signer, load_signing_key
from .config import ConfigError, Settings
from .db import Database, migrate, open_database
from .db.queue import queue_stats
from .metrics import Metrics
from .resolve import IndexCache, IndexLoader, Resolver
from .storage import BlobStore, open_blob_store
from .symbol_sets.pool import IndexBuilder
from .workers import Deps
from .workers.embedded import embedded_worker as embedded
from .workers.ops import start_ops_server
from .workers.retention import retention_running
from .workers.worker import worker_from_settings

log = logging.getLogger("symbols.worker")

# JSON bodies (bulk requests) are capped here; file uploads are streamed and capped by
# settings.max_upload_bytes instead.
MAX_JSON_BODY = 4 * 1024 * 1024


def _metrics_for(db: Database) -> Metrics:
    metrics = Metrics()
    # /metrics reads job counts from the database at scrape time.
    metrics.queue_source = partial(queue_stats, db)
    return metrics


def create_app(
    settings: Settings,
    *,
    blob_store: BlobStore | None = None,
    db: Database | None = None,
    embedded_worker: bool = False,
) -> web.Application:
    owns_db, owns_store = db is None, blob_store is None
    tmp_dir = Path(settings.data_dir) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    db = db if db is not None else open_database(settings.database_url)
    store = blob_store if blob_store is not None else open_blob_store(settings)
    metrics = _metrics_for(db)
    builder = IndexBuilder(settings.index_processes, metrics=metrics)  # starts on first use
    cache = IndexCache(settings.cache_bytes)
    metrics.track_cache(cache)
    loader = IndexLoader(db, store, builder, cache, metrics=metrics)
    ctx = AppContext(
        settings=settings,
        db=db,
        store=store,
        signer=Signer(load_signing_key(settings)),
        metrics=metrics,
        resolver=Resolver(db, loader, metrics=metrics),
        tmp_dir=tmp_dir,
    )
    app = web.Application(middlewares=[observe, errors], client_max_size=MAX_JSON_BODY)
    app[CONTEXT] = ctx
    setup_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        if owns_db:
            await migrate(db)
        yield
        builder.close()
        if owns_store:
            await store.close()
        if owns_db:
            await db.close()

    app.cleanup_ctx.append(resources)
    if embedded_worker:
        # Started after the database is migrated, stopped before it is closed.
        app.cleanup_ctx.append(embedded(settings, Deps(db, store, builder), metrics))

        async def retention(_app: web.Application) -> AsyncIterator[None]:
            async with retention_running(db, settings.event_retention_days):
                yield

        app.cleanup_ctx.append(retention)
    return app


async def run_worker(settings: Settings, *, concurrency: int | None = None, burst: bool = False) -> dict:
    """A standalone worker process until SIGTERM/SIGINT (or, with ``burst``, until no job
    is due), serving ``/metrics`` and ``/healthz`` on ``settings.worker_metrics_port``.
    Returns the run's counts."""
    db = open_database(settings.database_url)
    metrics = _metrics_for(db)
    store = open_blob_store(settings)
    builder = IndexBuilder(settings.index_processes, metrics=metrics)
    ops = None
    try:
        await migrate(db)
        worker = worker_from_settings(
            settings, Deps(db, store, builder), concurrency=concurrency, burst=burst, metrics=metrics
        )
        if settings.worker_metrics_port is not None:
            try:
                ops = await start_ops_server(worker, metrics, settings.host, settings.worker_metrics_port)
            except OSError as exc:
                raise ConfigError(
                    f"cannot serve metrics on {settings.host}:{settings.worker_metrics_port}: {exc}"
                ) from exc
            log.info("worker /metrics and /healthz on http://%s:%s", settings.host, settings.worker_metrics_port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        async with retention_running(db, None if burst else settings.event_retention_days):
            await worker.run()
        return dict(worker.stats)
    finally:
        if ops is not None:
            await ops.cleanup()
        builder.close()
        await store.close()
        await db.close()


__all__ = ["MAX_JSON_BODY", "create_app", "run_worker"]
