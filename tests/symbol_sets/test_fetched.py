"""A fetch's failure, recorded as a new set for its URL while the pipeline stores events
waiting for that URL: whichever commits last sees the other, so the waiting events are
always woken (a wake lost here left them ``NoSourcemapUploaded`` for good; PostgreSQL's
row locks cannot order a row that is being inserted, SQLite has one writer)."""

from __future__ import annotations

import asyncio
import uuid

import orjson
from sqlalchemy import select, text

from symbols.db.events import await_symbols
from symbols.db.jobs import RESOLVE_WAITING_EVENTS
from symbols.db.tables import jobs
from symbols.symbol_sets.fetched import record_fetched

URL = "https://cdn.test/assets/gone.js"


async def _wake_jobs(env) -> list[dict]:
    async with env.db.connect() as conn:
        rows = await conn.execute(select(jobs.c.payload).where(
            jobs.c.project_id == env.project_id, jobs.c.kind == RESOLVE_WAITING_EVENTS))
        return [orjson.loads(r.payload) for r in rows]


async def _record_failure(env) -> str | None:
    return await record_fetched(env.db, env.store, env.project_id, URL, failure="answered HTTP 404")


async def test_a_failure_recorded_while_waits_are_being_stored_wakes_them(env):
    async with env.db.begin() as storing:  # the waits are stored first, committed last
        await await_symbols(storing, env.project_id, {str(uuid.uuid4()): {URL}})
        recording = asyncio.create_task(_record_failure(env))
        await asyncio.sleep(0.3)  # the failure is recorded meanwhile (or waits for this commit)
    assert await recording is not None
    assert await _wake_jobs(env) == [{"ref": URL}]



async def test_waits_for_thousands_of_refs_hold_a_bounded_number_of_locks(env):
    refs = {f"https://cdn.test/assets/{n}.js" for n in range(5000)}
    async with env.db.begin() as conn:
        await await_symbols(conn, env.project_id, {str(uuid.uuid4()): refs})
        if conn.dialect.name == "postgresql":
            held = (await conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))).scalar_one()
            assert held == 64
