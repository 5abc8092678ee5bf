"""Enqueueing background jobs. Claiming them is ``queue.py``'s, running them the worker's."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import jobs
from .types import utcnow

PROCESS_SYMBOL_SET = "process_symbol_set"
# Events whose frames waited for a symbol set, resolved again once it is processed.
RESOLVE_WAITING_EVENTS = "resolve_waiting_events"
# A script and its map fetched for a project that allows it (the pipeline never fetches inline).
FETCH_SCRIPT = "fetch_script"
DEFAULT_MAX_ATTEMPTS = 5


async def enqueue_job(
    conn: AsyncConnection,
    kind: str,
    payload: dict,
    project_id: int | None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Insert a queued job on ``conn`` (inside the caller's transaction); its id."""
    now = utcnow()
    result = await conn.execute(
        insert(jobs)
        .values(
            kind=kind,
            payload=orjson.dumps(payload).decode(),
            project_id=project_id,
            state="queued",
            attempts=0,
            max_attempts=max_attempts,
            run_after=run_after or now,
            created_at=now,
            updated_at=now,
        )
        .returning(jobs.c.id)
    )
    return int(result.scalar_one())


async def enqueue_symbol_set_processing(conn: AsyncConnection, symbol_set_id: str, project_id: int) -> int:
    return await enqueue_job(conn, PROCESS_SYMBOL_SET, {"symbol_set_id": symbol_set_id}, project_id)


async def enqueue_fetches(conn: AsyncConnection, project_id: int, urls: list[str]) -> list[str]:
    """A ``FETCH_SCRIPT`` job for each URL that has none queued or running for the
    project (batch after batch names the same scripts until they are fetched); the URLs
    enqueued now."""
    payloads = {orjson.dumps({"url": url}).decode(): url for url in urls}
    if not payloads:
        return []
    rows = await conn.execute(
        select(jobs.c.payload).where(jobs.c.kind == FETCH_SCRIPT, jobs.c.project_id == project_id,
                                     jobs.c.state.in_(("queued", "running")), jobs.c.payload.in_(list(payloads)))
    )
    pending = {row.payload for row in rows}
    enqueued = []
    for payload, url in payloads.items():
        if payload not in pending:
            await enqueue_job(conn, FETCH_SCRIPT, {"url": url}, project_id)
            enqueued.append(url)
    return enqueued
