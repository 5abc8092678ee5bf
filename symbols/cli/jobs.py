"""`symbols jobs list [--state S] | stats [--max-age S] | retry ID`: inspect, check and
re-run background jobs."""

from __future__ import annotations

import asyncio

import click

from ..config import Settings
from ..db.migrate import run_existing
from ..db.queue import get_job, list_jobs, queue_stats, retry_job
from ..db.tables import JOB_STATES

LIST_COLUMNS = ("id", "kind", "state", "attempts", "run_after", "payload", "last_error")


def _run(work):
    return asyncio.run(run_existing(Settings.from_env().database_url, work))


@click.group()
def jobs() -> None:
    """Inspect background jobs (a dead job ran out of attempts; see its last error)."""


@jobs.command("list")
@click.option("--state", type=click.Choice(JOB_STATES), default=None, help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def list_(state: str | None, limit: int) -> None:
    """Newest first, tab-separated under a header line: id, kind, state, attempts/max,
    run after, payload, last error."""
    async def work(db):
        return await list_jobs(db, state=state, limit=limit)

    listed = _run(work)
    click.echo("\t".join(LIST_COLUMNS))
    for job in listed:
        payload = ",".join(f"{k}={v}" for k, v in job.payload.items())
        error = (job.last_error or "").replace("\n", " ")
        click.echo(
            f"{job.id}\t{job.kind}\t{job.state}\t{job.attempts}/{job.max_attempts}\t"
            f"{job.run_after.isoformat()}\t{payload}\t{error}"
        )


@jobs.command("stats")
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=600,
    show_default=True,
    help="Fail when the oldest due queued job has waited longer than this many seconds.",
)
def stats(max_age: float) -> None:
    """Jobs by state and how long the oldest due queued job has waited. Exits 1 when a
    job is dead or that wait exceeds --max-age (a cron or CI health check)."""
    result = _run(queue_stats)
    for state in JOB_STATES:
        click.echo(f"{state}\t{result.counts.get(state, 0)}")
    click.echo(f"oldest_due_queued_seconds\t{result.oldest_due_seconds:.1f}")
    problems = []
    if dead := result.counts.get("dead", 0):
        problems.append(f"{dead} dead job(s): see `symbols jobs list --state dead`")
    if result.oldest_due_seconds > max_age:
        problems.append(
            f"the oldest due queued job has waited {result.oldest_due_seconds:.0f} s (more than {max_age:g} s)"
        )
    for problem in problems:
        click.echo(f"unhealthy: {problem}", err=True)
    if problems:
        raise SystemExit(1)


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Queue a dead (or done) job again now, with a fresh set of attempts."""
    async def work(db):
        if await retry_job(db, job_id):
            return "ok"
        job = await get_job(db, job_id)
        return None if job is None else job.state

    outcome = _run(work)
    if outcome is None:
        raise click.ClickException(f"no job {job_id}")
    if outcome != "ok":
        raise click.ClickException(f"job {job_id} is {outcome}; only dead or done jobs can be retried")
    click.echo(f"job {job_id} queued")
