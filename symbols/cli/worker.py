"""`symbols worker [--concurrency N] [--burst] [--metrics-port PORT]`: run background
jobs (index building)."""

from __future__ import annotations

import asyncio
import logging
import signal
from functools import partial

import click

from ..api.metrics import Metrics
from ..config import Settings
from ..db import migrate, open_database
from ..indexing import IndexBuilder
from ..logging import configure_logging
from ..storage import open_blob_store

log = logging.getLogger("symbols.worker")


async def _run(settings: Settings, concurrency: int | None, burst: bool) -> dict:
    from workers import Deps
    from workers.ops import start_ops_server
    from workers.queue import queue_stats
    from workers.worker import worker_from_settings

    metrics = Metrics()
    db = open_database(settings.database_url)
    metrics.queue_source = partial(queue_stats, db)
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
                raise click.ClickException(
                    f"cannot serve metrics on {settings.host}:{settings.worker_metrics_port}: {exc}"
                ) from exc
            log.info(
                "worker /metrics and /healthz on http://%s:%s", settings.host, settings.worker_metrics_port
            )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
        return dict(worker.stats)
    finally:
        if ops is not None:
            await ops.cleanup()
        builder.close()
        await store.close()
        await db.close()


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once (default SYMBOLS_WORKER_CONCURRENCY or 1).",
)
@click.option("--burst", is_flag=True, help="Exit once no job is due instead of waiting for more.")
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Serve /metrics and /healthz on this port (on SYMBOLS_BIND_HOST, default 127.0.0.1; "
    "default SYMBOLS_WORKER_METRICS_PORT, else off).",
)
def worker(concurrency: int | None, burst: bool, metrics_port: int | None) -> None:
    """Run the job worker: builds the lookup index of every uploaded symbol set and
    records failures. Any number may run, on any machine, against one database.
    SIGTERM finishes the job in hand, then exits."""
    settings = Settings.from_env()
    if metrics_port is not None:
        settings = settings.with_overrides(worker_metrics_port=metrics_port)
    configure_logging(settings.log_level)
    stats = asyncio.run(_run(settings, concurrency, burst))
    if burst:
        click.echo(", ".join(f"{k} {v}" for k, v in sorted(stats.items())) or "no jobs", err=True)
