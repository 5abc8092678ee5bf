"""The durable job queue on the metadata database (table ``jobs``); enqueueing is in
``jobs.py``, inside the caller's transaction.

Life of a job: ``queued`` (written by ``enqueue_job`` in the caller's transaction) ->
``running`` (claimed: ``attempts`` + 1, a lease until ``lease_expires_at``, a claim
token in ``locked_by``) -> ``done``; or, on a failure, back to ``queued`` with
``run_after`` pushed out exponentially, and ``dead`` once ``max_attempts`` are spent.

- Claiming selects with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
  workers on any number of machines never claim one job twice. SQLite has one writer
  at a time (``BEGIN IMMEDIATE``), which makes the same select-then-update safe.
- A running job whose lease has expired (its worker crashed or was killed) is claimed
  again like a queued one; if it had no attempts left it is marked dead instead.
  Workers renew (``heartbeat``) the lease of the job in hand.
- Every state change after a claim is conditioned on the claim token, so a worker
  whose lease was taken over cannot overwrite the new owner's outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .engine import Database
from .tables import JOB_STATES, jobs
from .types import utcnow

LOST_LEASE_ERROR = "lease expired: the worker running the job stopped (crash, kill, timeout)"
_MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict
    project_id: int | None
    state: str
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_expires_at: datetime | None
    locked_by: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


def _job(row) -> Job:
    try:
        payload = orjson.loads(row.payload)
    except orjson.JSONDecodeError:
        payload = {}
    return Job(
        id=int(row.id),
        kind=row.kind,
        payload=payload if isinstance(payload, dict) else {},
        project_id=row.project_id,
        state=row.state,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        lease_expires_at=row.lease_expires_at,
        locked_by=row.locked_by,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def claim_token(worker_id: str) -> str:
    """A token unique to one claim: the worker's name plus a random suffix."""
    return f"{worker_id[:160]}/{uuid.uuid4().hex[:16]}"


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next try after ``attempts`` failed ones: base, 2*base, 4*base..."""
    return min(cap, base * (2 ** max(attempts - 1, 0)))


async def _bury_expired(conn: AsyncConnection, now: datetime) -> None:
    """Running jobs whose lease ran out with no attempts left: dead, with the reason."""
    await conn.execute(
        update(jobs)
        .where(
            jobs.c.state == "running",
            jobs.c.lease_expires_at < now,
            jobs.c.attempts >= jobs.c.max_attempts,
        )
        .values(state="dead", last_error=LOST_LEASE_ERROR, lease_expires_at=None, locked_by=None, updated_at=now)
    )


async def claim(
    db: Database, worker_id: str, *, lease_seconds: float, kinds: list[str] | None = None
) -> Job | None:
    """Take the next job that is due (or whose lease expired); None when there is none."""
    now = utcnow()
    due = or_(
        and_(jobs.c.state == "queued", jobs.c.run_after <= now),
        and_(jobs.c.state == "running", jobs.c.lease_expires_at < now, jobs.c.attempts < jobs.c.max_attempts),
    )
    query = select(jobs.c.id).where(due).order_by(jobs.c.run_after, jobs.c.id).limit(1)
    if kinds:
        query = query.where(jobs.c.kind.in_(kinds))
    query = query.with_for_update(skip_locked=True)  # ignored on SQLite: one writer anyway
    async with db.begin() as conn:
        await _bury_expired(conn, now)
        job_id = (await conn.execute(query)).scalar_one_or_none()
        if job_id is None:
            return None
        token = claim_token(worker_id)
        row = (
            await conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state="running",
                    attempts=jobs.c.attempts + 1,
                    locked_by=token,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    updated_at=now,
                )
                .returning(*jobs.c)
            )
        ).one()
    return _job(row)


async def _update_owned(db: Database, job: Job, now: datetime, **values: Any) -> bool:
    """Apply ``values`` to a job still held by its claim; False when it is no longer ours
    (its lease expired and another worker claimed it, or an operator changed it)."""
    owned = and_(jobs.c.id == job.id, jobs.c.state == "running", jobs.c.locked_by == job.locked_by)
    async with db.begin() as conn:
        result = await conn.execute(update(jobs).where(owned).values(updated_at=now, **values))
    return result.rowcount > 0


async def heartbeat(db: Database, job: Job, *, lease_seconds: float) -> bool:
    """Extend the lease of a job in hand; False when it is no longer ours."""
    now = utcnow()
    return await _update_owned(db, job, now, lease_expires_at=now + timedelta(seconds=lease_seconds))


async def complete(db: Database, job: Job) -> bool:
    return await _update_owned(db, job, utcnow(), state="done", lease_expires_at=None, locked_by=None)


async def fail(
    db: Database,
    job: Job,
    error: str,
    *,
    retry: bool = True,
    backoff_base: float = 5.0,
    backoff_cap: float = 3600.0,
) -> str | None:
    """Record a failed attempt: back to ``queued`` after a backoff while attempts remain
    (and ``retry``), else ``dead``. Returns the new state, None when the job is no
    longer ours."""
    now = utcnow()
    dead = not retry or job.attempts >= job.max_attempts
    values: dict = {"last_error": error[:_MAX_ERROR_LENGTH], "lease_expires_at": None, "locked_by": None}
    if dead:
        values["state"] = "dead"
    else:
        values["state"] = "queued"
        values["run_after"] = now + timedelta(seconds=backoff_seconds(job.attempts, backoff_base, backoff_cap))
    return values["state"] if await _update_owned(db, job, now, **values) else None


async def release(db: Database, job: Job) -> bool:
    """Hand a claimed job back untouched (a worker stopping before it started it)."""
    return await _update_owned(
        db, job, utcnow(), state="queued", attempts=jobs.c.attempts - 1, lease_expires_at=None, locked_by=None
    )


async def list_jobs(db: Database, *, state: str | None = None, limit: int = 100) -> list[Job]:
    if state is not None and state not in JOB_STATES:
        raise ValueError(f"state must be one of {', '.join(JOB_STATES)}")
    query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(jobs.c.state == state)
    async with db.connect() as conn:
        return [_job(r) for r in await conn.execute(query)]


async def get_job(db: Database, job_id: int) -> Job | None:
    async with db.connect() as conn:
        row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
    return _job(row) if row else None


async def retry_job(db: Database, job_id: int) -> bool:
    """Queue a dead (or done) job again, due now, with a fresh set of attempts. Its
    ``last_error`` is kept until the next outcome."""
    now = utcnow()
    async with db.begin() as conn:
        result = await conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(("dead", "done")))
            .values(state="queued", attempts=0, run_after=now, lease_expires_at=None, locked_by=None, updated_at=now)
        )
    return result.rowcount > 0


@dataclass(frozen=True)
class QueueStats:
    counts: dict[str, int]
    # How long the oldest due queued job has waited since it became due (0: none).
    oldest_due_seconds: float


async def queue_stats(db: Database) -> QueueStats:
    """Jobs by state and the oldest due queued job's wait, in one grouped query (for
    ``/metrics`` and ``symbols jobs stats``)."""
    now = utcnow()
    due_since = case((and_(jobs.c.state == "queued", jobs.c.run_after <= now), jobs.c.run_after))
    query = select(jobs.c.state, func.count(), func.min(due_since)).group_by(jobs.c.state)
    counts = {state: 0 for state in JOB_STATES}
    oldest: datetime | None = None
    async with db.connect() as conn:
        for state, count, first_due in await conn.execute(query):
            counts[state] = int(count)
            if first_due is not None:
                oldest = first_due if oldest is None else min(oldest, first_due)
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return QueueStats(counts, age)


async def count_by_state(db: Database) -> dict[str, int]:
    async with db.connect() as conn:
        rows = await conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
        counts = {state: 0 for state in JOB_STATES}
        counts.update({state: int(n) for state, n in rows})
    return counts


__all__ = [
    "LOST_LEASE_ERROR",
    "Job",
    "QueueStats",
    "backoff_seconds",
    "claim",
    "complete",
    "count_by_state",
    "fail",
    "get_job",
    "heartbeat",
    "list_jobs",
    "queue_stats",
    "release",
    "retry_job",
]
