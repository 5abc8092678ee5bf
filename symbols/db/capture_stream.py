"""The database backend of the capture stream (table ``capture_stream``).

Capture writes each acknowledged event here before answering (``publish``); pipeline
consumers lease rows in id order (``lease``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
one writer at a time on SQLite) and delete them (``settle``) in the same transaction that
stores their events, so an event is stored once even when a consumer dies mid-batch: its
lease runs out and another consumer takes the rows again. Rows are unique per
(project, event uuid), so an SDK's retry of an event still queued is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .engine import Database
from .tables import capture_stream
from .types import utcnow
from .upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class LeasedRow:
    id: int
    project_id: int
    event_uuid: str
    payload: bytes
    attempts: int


async def publish(conn: AsyncConnection, project_id: int, events: Sequence[tuple[str, bytes]]) -> None:
    """Queue ``(event uuid, payload)`` pairs on ``conn``; an event already queued is kept."""
    if not events:
        return
    now = utcnow()
    rows = [
        {"project_id": project_id, "event_uuid": event_uuid, "payload": payload, "enqueued_at": now}
        for event_uuid, payload in events
    ]
    await conn.execute(insert_ignoring_conflicts(conn, capture_stream), rows)


async def lease(db: Database, consumer: str, *, count: int, lease_seconds: float) -> tuple[str, list[LeasedRow]]:
    """Lease up to ``count`` rows nobody holds (or whose lease ran out), oldest first.

    Returns the lease token, which ``settle`` needs: a consumer whose lease was taken over
    settles nothing."""
    now = utcnow()
    token = f"{consumer[:40]}/{uuid.uuid4().hex[:16]}"
    free = or_(capture_stream.c.locked_by.is_(None), capture_stream.c.lease_expires_at < now)
    query = (
        select(capture_stream.c.id)
        .where(free)
        .order_by(capture_stream.c.id)
        .limit(count)
        .with_for_update(skip_locked=True)
    )
    async with db.begin() as conn:
        ids = (await conn.execute(query)).scalars().all()
        if not ids:
            return token, []
        await conn.execute(
            update(capture_stream)
            .where(capture_stream.c.id.in_(ids))
            .values(
                locked_by=token,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=capture_stream.c.attempts + 1,
            )
        )
        rows = await conn.execute(
            select(capture_stream).where(capture_stream.c.id.in_(ids)).order_by(capture_stream.c.id)
        )
        leased = [
            LeasedRow(r.id, r.project_id, r.event_uuid, bytes(r.payload), r.attempts) for r in rows
        ]
    return token, leased


async def settle(conn: AsyncConnection, token: str, ids: Sequence[int]) -> int:
    """Delete rows this lease still holds, in the caller's transaction; how many."""
    if not ids:
        return 0
    result = await conn.execute(
        delete(capture_stream).where(
            and_(capture_stream.c.id.in_(list(ids)), capture_stream.c.locked_by == token)
        )
    )
    return result.rowcount


async def release(db: Database, token: str, ids: Sequence[int]) -> None:
    """Give rows back at once (a consumer stopping cleanly) instead of waiting for the lease."""
    if not ids:
        return
    async with db.begin() as conn:
        await conn.execute(
            update(capture_stream)
            .where(and_(capture_stream.c.id.in_(list(ids)), capture_stream.c.locked_by == token))
            .values(locked_by=None, lease_expires_at=None)
        )


async def backlog(db: Database) -> tuple[int, float]:
    """Rows waiting and the age in seconds of the oldest (0 when empty), for metrics."""
    async with db.connect() as conn:
        count, oldest = (
            await conn.execute(select(func.count(), func.min(capture_stream.c.enqueued_at)))
        ).one()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return int(count), max(age, 0.0)
