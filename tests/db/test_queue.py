"""The job queue on both databases: claim, lease expiry, backoff, dead, retry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from symbols.db import queue
from symbols.db.jobs import enqueue_job
from symbols.db.queue import backoff_seconds
from symbols.db.tables import jobs
from symbols.db.types import utcnow


async def _enqueue(db, kind="k", payload=None, **kw) -> int:
    async with db.begin() as conn:
        return await enqueue_job(conn, kind, payload or {}, None, **kw)


async def _expire_lease(db, job_id: int) -> None:
    async with db.begin() as conn:
        await conn.execute(
            update(jobs).where(jobs.c.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_claim_complete_and_nothing_left(database):
    job_id = await _enqueue(database, payload={"a": 1})
    job = await queue.claim(database, "w1", lease_seconds=30)
    assert (job.id, job.state, job.attempts, job.payload) == (job_id, "running", 1, {"a": 1})
    assert job.locked_by.startswith("w1/")
    assert await queue.claim(database, "w2", lease_seconds=30) is None  # leased
    assert await queue.complete(database, job)
    assert (await queue.get_job(database, job_id)).state == "done"
    assert await queue.claim(database, "w2", lease_seconds=30) is None


async def test_claim_respects_run_after_and_kinds(database):
    await _enqueue(database, run_after=utcnow() + timedelta(hours=1))
    other = await _enqueue(database, kind="other")
    assert await queue.claim(database, "w", lease_seconds=30, kinds=["k"]) is None
    assert (await queue.claim(database, "w", lease_seconds=30)).id == other


async def test_expired_lease_is_claimed_again_and_old_owner_loses(database):
    job_id = await _enqueue(database)
    first = await queue.claim(database, "w1", lease_seconds=30)
    await _expire_lease(database, job_id)
    second = await queue.claim(database, "w2", lease_seconds=30)
    assert second.id == job_id and second.attempts == 2 and second.locked_by != first.locked_by
    # The first worker comes back: it may no longer touch the job.
    assert not await queue.heartbeat(database, first, lease_seconds=30)
    assert not await queue.complete(database, first)
    assert await queue.fail(database, first, "late") is None
    assert await queue.heartbeat(database, second, lease_seconds=30)
    assert await queue.complete(database, second)


async def test_failures_back_off_exponentially_then_die_and_retry_revives(database):
    job_id = await _enqueue(database, max_attempts=3)
    for attempt in (1, 2):
        job = await queue.claim(database, "w", lease_seconds=30)
        assert job.attempts == attempt
        before = utcnow()
        assert await queue.fail(database, job, f"boom {attempt}", backoff_base=10) == "queued"
        row = await queue.get_job(database, job_id)
        delay = (row.run_after - before).total_seconds()
        assert 10 * 2 ** (attempt - 1) - 1 < delay <= 10 * 2 ** (attempt - 1) + 1
        assert row.last_error == f"boom {attempt}"
        assert await queue.claim(database, "w", lease_seconds=30) is None  # not due yet
        async with database.begin() as conn:
            await conn.execute(update(jobs).where(jobs.c.id == job_id).values(run_after=utcnow()))
    job = await queue.claim(database, "w", lease_seconds=30)
    assert await queue.fail(database, job, "boom 3") == "dead"
    [dead] = await queue.list_jobs(database, state="dead")
    assert (dead.id, dead.attempts, dead.last_error) == (job_id, 3, "boom 3")
    assert await queue.count_by_state(database) == {"queued": 0, "running": 0, "done": 0, "dead": 1}

    assert await queue.retry_job(database, job_id)
    assert not await queue.retry_job(database, job_id)  # already queued
    job = await queue.claim(database, "w", lease_seconds=30)
    assert job.id == job_id and job.attempts == 1


async def test_non_retryable_failure_dies_at_once(database):
    await _enqueue(database)
    job = await queue.claim(database, "w", lease_seconds=30)
    assert await queue.fail(database, job, "unknown kind", retry=False) == "dead"


async def test_lost_lease_with_no_attempts_left_is_buried(database):
    job_id = await _enqueue(database, max_attempts=1)
    await queue.claim(database, "w1", lease_seconds=30)
    await _expire_lease(database, job_id)
    assert await queue.claim(database, "w2", lease_seconds=30) is None
    dead = await queue.get_job(database, job_id)
    assert dead.state == "dead" and dead.last_error == queue.LOST_LEASE_ERROR


async def test_release_hands_the_job_back(database):
    job_id = await _enqueue(database)
    job = await queue.claim(database, "w", lease_seconds=30)
    assert await queue.release(database, job)
    again = await queue.claim(database, "w", lease_seconds=30)
    assert again.id == job_id and again.attempts == 1


def test_backoff_is_capped():
    assert [backoff_seconds(n, 5, 30) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]
