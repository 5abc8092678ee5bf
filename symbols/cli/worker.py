"""`symbols worker [--concurrency N] [--burst]`: run background jobs (index building)."""

from __future__ import annotations

import asyncio
import signal

import click

from ..config import Settings
from ..db import migrate, open_database
from ..indexing import IndexBuilder
from ..logging import configure_logging
from ..storage import open_blob_store


async def _run(settings: Settings, concurrency: int | None, burst: bool) -> dict:
    from workers import Deps
    from workers.worker import worker_from_settings

    db = open_database(settings.database_url)
    store = open_blob_store(settings)
    builder = IndexBuilder(settings.index_processes)
    try:
        await migrate(db)
        worker = worker_from_settings(settings, Deps(db, store, builder), concurrency=concurrency, burst=burst)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
        return dict(worker.stats)
    finally:
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
def worker(concurrency: int | None, burst: bool) -> None:
    """Run the job worker: builds the lookup index of every uploaded symbol set and
    records failures. Any number may run, on any machine, against one database.
    SIGTERM finishes the job in hand, then exits."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    stats = asyncio.run(_run(settings, concurrency, burst))
    if burst:
        click.echo(", ".join(f"{k} {v}" for k, v in sorted(stats.items())) or "no jobs", err=True)
