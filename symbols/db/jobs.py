"""Enqueueing background jobs. Claiming them is ``queue.py``'s, running them the worker's."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import jobs
from .types import utcnow

PROCESS_SYMBOL_SET = "process_symbol_set"
# Events whose frames waited for a symbol set, resolved again once it is processed.
RESOLVE_WAITING_EVENTS = "resolve_waiting_events"
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
