"""`symbols worker [--concurrency N] [--burst] [--metrics-port PORT] [--no-jobs]
[--no-pipeline]`: run background jobs (index building, late symbols) and the
error-tracking pipeline on the capture stream."""

from __future__ import annotations

import asyncio

import click

from ..app import run_worker
from ..config import Settings
from ..logging import configure_logging


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
@click.option("--no-jobs", is_flag=True, help="Do not run jobs (only the pipeline).")
@click.option(
    "--no-pipeline", is_flag=True, help="Do not consume the capture stream (default SYMBOLS_PIPELINE or on)."
)
def worker(concurrency: int | None, burst: bool, metrics_port: int | None, no_jobs: bool, no_pipeline: bool) -> None:
    """Run the worker: builds the lookup index of every uploaded symbol set and records
    failures, and runs captured events through the error-tracking pipeline (resolve,
    fingerprint, issues, store). Any number may run, on any machine, against one database
    and stream. SIGTERM finishes the job and the batch in hand, then exits."""
    settings = Settings.from_env()
    if metrics_port is not None:
        settings = settings.with_overrides(worker_metrics_port=metrics_port)
    if no_pipeline:
        settings = settings.with_overrides(pipeline=False)
    configure_logging(settings.log_level)
    stats = asyncio.run(run_worker(settings, concurrency=concurrency, burst=burst, jobs=not no_jobs))
    if burst:
        click.echo(", ".join(f"{k} {v}" for k, v in sorted(stats.items())) or "no jobs", err=True)
