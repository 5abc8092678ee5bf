"""A job has a time limit (SYMBOLS_JOB_TIMEOUT_SECONDS): past it the job is stopped and
counted as a failed attempt, so a stuck job cannot renew its lease forever."""

from __future__ import annotations

import asyncio

from symbols.db import queue
from symbols.workers import Worker
from tests.support.bundles import APP_MAP


async def test_a_job_past_its_time_limit_is_stopped_and_ends_dead(env):
    await env.upload("chunk-1", APP_MAP)

    async def stuck(deps, job):
        await asyncio.sleep(3600)

    worker = Worker(env.deps, handlers={"process_symbol_set": stuck}, job_timeout=0.1, backoff_base=0,
                    poll_seconds=0.01)
    assert await worker.run_burst() == {"retried": 4, "dead": 1}
    [dead] = await queue.list_jobs(env.db, state="dead")
    assert dead.last_error == "time limit: the job ran more than 0.1 s"
