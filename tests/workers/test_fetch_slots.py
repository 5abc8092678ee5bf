"""Fetches run in slots of their own: a slow origin (a fetch job held open) never holds back
the processing of an upload, even with one slot (the default SYMBOLS_WORKER_CONCURRENCY)."""

from __future__ import annotations

import asyncio

import pytest

from symbols.db.jobs import FETCH_SCRIPT, PROCESS_SYMBOL_SET, enqueue_job
from symbols.workers import Worker

HANG = 10  # a hang guard only (seconds)


async def test_an_upload_is_processed_while_fetches_wait_on_their_origins(env):
    origin_answers = asyncio.Event()
    fetching: list[str] = []
    both_fetching = asyncio.Event()
    processed = asyncio.Event()

    async def fetch(deps, job):
        fetching.append(job.payload["url"])
        if len(fetching) == 2:
            both_fetching.set()
        await origin_answers.wait()

    async def process(deps, job):
        processed.set()

    async with env.db.begin() as conn:
        for url in ("https://slow.example/a.js", "https://slow.example/b.js"):
            await enqueue_job(conn, FETCH_SCRIPT, {"url": url}, env.project_id)
    worker = Worker(env.deps, handlers={FETCH_SCRIPT: fetch, PROCESS_SYMBOL_SET: process}, concurrency=1,
                    fetch_slots=2, poll_seconds=0.01)
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(both_fetching.wait(), HANG)  # both fetches wait on their origin
        async with env.db.begin() as conn:  # then an upload arrives
            await enqueue_job(conn, PROCESS_SYMBOL_SET, {"symbol_set_id": "x"}, env.project_id)
        await asyncio.wait_for(processed.wait(), HANG)
        assert not origin_answers.is_set()
    finally:
        origin_answers.set()
        worker.stop()
        await asyncio.wait_for(running, HANG)
    assert worker.stats["done"] == 3


def test_a_worker_needs_a_slot_for_fetches():
    with pytest.raises(ValueError):
        Worker(None, fetch_slots=0)
