"""The composition root: the one place that builds the database, the blob store, the
signer, the metrics registry, the index process pool, the resolution layers (cache,
loader, resolver), the capture stream (``SYMBOLS_STREAM_URL``) and the workers, and wires
the routes.

``create_app(settings)`` is the HTTP service; it opens (and on shutdown closes) what it
is not given, so tests can inject a migrated ``db``, a ``blob_store`` and a ``stream``. With
``embedded_worker`` a job worker and the error-tracking pipeline's consumer (unless
``settings.pipeline`` is off) run inside it, sharing its pool, index cache and metrics (the
pipeline's resolver enqueues fetches instead of fetching inline).
``run_worker(settings)`` is a standalone worker process (``symbols worker``): the job loop
and the pipeline consumer, either of which can be turned off.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from aiohttp import web

from .api import CONTEXT, AppContext, setup_routes
from .api.auth import KeyCache
from .api.middleware import errors, observe
from .api.spool import UPLOAD_PREFIX
from .config import ConfigError, Settings
from .db import Database, migrate, open_database
from .db.queue import queue_stats
from .errortracking.external_references import ExternalIssues
from .errortracking.ingest import Ingest
from .errortracking.integrations import SecretBox
from .errortracking.pipeline import Pipeline
from .errortracking.providers import ProviderHttp
from .errortracking.rule_cache import RuleCache
from .errortracking.stream import EventStream, open_stream
from .files import remove_orphans
from .metrics import Metrics
from .resolve import IndexCache, IndexLoader, Resolver, SetCache
from .resolve.fetch_settings import FetchSettings
from .resolve.fetching import FetchQueue, ScriptFetcher
from .signing import Signer, load_signing_key
from .storage import BlobStore, open_blob_store
from .symbol_sets.pool import IndexBuilder
from .web import setup_web
from .workers import Deps
from .workers.embedded import embedded_worker as embedded
from .workers.ops import start_ops_server
from .workers.pipeline import PipelineConsumer, consumer_from_settings
from .workers.retention import retention_running
from .workers.worker import worker_from_settings

log = logging.getLogger("symbols.worker")

# JSON bodies (bulk requests) are capped here; file uploads are streamed and capped by
# settings.max_upload_bytes instead.
MAX_JSON_BODY = 4 * 1024 * 1024


def settle_garbage_collector() -> None:
    """Once a process has started: what exists now lives as long as it, so full collections
    stop walking it (``gc.freeze``), and they run less often, since the resolver keeps many
    small objects (frames' answers, context lines) that a full collection walks for nothing
    (the warm resolve bench, answers not kept: 52 -> 42 us a frame, p99 119 -> 52 ms)."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


def _metrics_for(db: Database) -> Metrics:
    metrics = Metrics()
    # /metrics reads job counts from the database at scrape time.
    metrics.queue_source = partial(queue_stats, db)
    return metrics


def _builder(settings: Settings, metrics: Metrics) -> IndexBuilder:
    return IndexBuilder(settings.index_processes, metrics=metrics, memory_bytes=settings.index_memory_bytes,
                        timeout_seconds=settings.index_timeout_seconds)


async def _remove_orphans(store: BlobStore, tmp_dir: Path | None) -> None:
    """What processes of this host killed mid-write left: spooled uploads, blob store
    temporaries (the indexes being written)."""
    removed = await store.remove_orphans()
    if tmp_dir is not None:
        removed += await asyncio.to_thread(remove_orphans, tmp_dir, UPLOAD_PREFIX)
    if removed:
        log.info("removed %d temporary files left by killed processes", removed)


@dataclass(frozen=True)
class _Resolution:
    resolver: Resolver  # the resolve API's and the jobs': fetches inline
    pipeline: Resolver  # the pipeline's: enqueues fetches (one index cache for both)
    fetcher: ScriptFetcher


def _resolution(settings: Settings, db: Database, store: BlobStore, builder: IndexBuilder, metrics: Metrics,
                secret: bytes) -> _Resolution:
    cache = IndexCache(settings.cache_bytes)
    metrics.track_cache(cache)
    loader = IndexLoader(db, store, builder, cache, metrics=metrics)
    fetch_settings = FetchSettings(db, secret)
    fetcher = ScriptFetcher(db, store, fetch_settings, test_networks=settings.fetch_test_networks)
    sets = SetCache()  # one for both: a write forgets the project's sets for both at once
    return _Resolution(Resolver(db, loader, metrics=metrics, fetcher=fetcher, sets=sets),
                       Resolver(db, loader, metrics=metrics, fetcher=FetchQueue(db, fetch_settings), sets=sets),
                       fetcher)


def _open_stream(settings: Settings, db: Database) -> EventStream:
    try:
        return open_stream(settings.stream_url, db)
    except ValueError as exc:
        raise ConfigError(f"SYMBOLS_STREAM_URL: {exc}") from None


def _consumer(
    settings: Settings, db: Database, stream: EventStream, resolver: Resolver, metrics: Metrics, **kwargs
) -> PipelineConsumer:
    pipeline = Pipeline(db, stream, resolver, RuleCache(db))
    return consumer_from_settings(settings, pipeline, stream, metrics=metrics, **kwargs)


def create_app(
    settings: Settings,
    *,
    blob_store: BlobStore | None = None,
    db: Database | None = None,
    stream: EventStream | None = None,
    embedded_worker: bool = False,
) -> web.Application:
    owns_db, owns_store, owns_stream = db is None, blob_store is None, stream is None
    tmp_dir = Path(settings.data_dir) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    db = db if db is not None else open_database(settings.database_url)
    store = blob_store if blob_store is not None else open_blob_store(settings)
    metrics = _metrics_for(db)
    builder = _builder(settings, metrics)  # starts on first use
    secret = load_signing_key(settings)
    resolution = _resolution(settings, db, store, builder, metrics, secret)
    resolver = resolution.resolver
    if stream is None:
        stream = _open_stream(settings, db)
    provider_http = ProviderHttp(settings.integration_hosts)
    ctx = AppContext(
        settings=settings,
        db=db,
        store=store,
        signer=Signer(secret),
        metrics=metrics,
        resolver=resolver,
        tmp_dir=tmp_dir,
        ingest=Ingest(db, stream, token_ttl=settings.capture_token_cache_seconds, metrics=metrics),
        external_issues=ExternalIssues(db, SecretBox(secret), provider_http),
        fetch_settings=resolution.fetcher.settings,
        keys=KeyCache(settings.api_key_cache_seconds),
    )
    app = web.Application(middlewares=[observe, errors], client_max_size=MAX_JSON_BODY)
    app[CONTEXT] = ctx
    setup_routes(app)
    setup_web(app, settings=settings, db=db, store=store, resolver=ctx.resolver, signer=ctx.signer,
              secret=secret)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        if owns_db:
            await migrate(db, secret)
        await _remove_orphans(store, tmp_dir)
        yield
        builder.close()
        await provider_http.close()
        if owns_stream:
            await stream.close()
        if owns_store:
            await store.close()
        if owns_db:
            await db.close()

    app.cleanup_ctx.append(resources)
    if embedded_worker:
        # Started after the database is migrated, stopped before it is closed.
        consumer = _consumer(settings, db, stream, resolution.pipeline, metrics) if settings.pipeline else None
        deps = Deps(db, store, builder, resolver, resolution.fetcher)
        app.cleanup_ctx.append(embedded(settings, deps, metrics, consumer))

        async def retention(_app: web.Application) -> AsyncIterator[None]:
            async with retention_running(db, settings.event_retention_days):
                yield

        app.cleanup_ctx.append(retention)
    return app


async def run_worker(
    settings: Settings, *, concurrency: int | None = None, burst: bool = False, jobs: bool = True
) -> dict:
    """A standalone worker process until SIGTERM/SIGINT (or, with ``burst``, until no job
    is due and the stream is empty), serving ``/metrics`` and ``/healthz`` on
    ``settings.worker_metrics_port``: the job loop unless ``jobs`` is off, the pipeline
    consumer unless ``settings.pipeline`` is off. Returns the run's counts."""
    db = open_database(settings.database_url)
    metrics = _metrics_for(db)
    store = open_blob_store(settings)
    builder = _builder(settings, metrics)
    secret = load_signing_key(settings)
    resolution = _resolution(settings, db, store, builder, metrics, secret)
    stream = _open_stream(settings, db)
    ops = None
    try:
        await migrate(db, secret)
        await _remove_orphans(store, None)
        worker = worker_from_settings(
            settings, Deps(db, store, builder, resolution.resolver, resolution.fetcher), concurrency=concurrency,
            burst=burst, metrics=metrics,
        )
        consumer = (_consumer(settings, db, stream, resolution.pipeline, metrics, burst=burst)
                    if settings.pipeline else None)
        if settings.worker_metrics_port is not None:
            try:
                ops = await start_ops_server(worker, metrics, settings.host, settings.worker_metrics_port)
            except OSError as exc:
                raise ConfigError(
                    f"cannot serve metrics on {settings.host}:{settings.worker_metrics_port}: {exc}"
                ) from exc
            log.info("worker /metrics and /healthz on http://%s:%s", settings.host, settings.worker_metrics_port)
        loops = ([worker.run()] if jobs else []) + ([consumer.run()] if consumer else [])
        if not loops:
            raise ConfigError("nothing to run: both the job loop and the pipeline are turned off")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, partial(_stop, worker, consumer))
        settle_garbage_collector()
        async with retention_running(db, None if burst else settings.event_retention_days):
            await asyncio.gather(*loops)
        return dict(worker.stats) | (dict(consumer.stats) if consumer else {})
    finally:
        if ops is not None:
            await ops.cleanup()
        builder.close()
        await stream.close()
        await store.close()
        await db.close()


def _stop(worker, consumer: PipelineConsumer | None) -> None:
    worker.stop()
    if consumer is not None:
        consumer.stop()


__all__ = ["MAX_JSON_BODY", "create_app", "run_worker"]
