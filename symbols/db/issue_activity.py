"""An issue's events as the issue pages read them: occurrences per day or hour over a
bounded window, and the newest events. Both go through the events index
(project_id, issue_id, timestamp) and are scoped by project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import events

MAX_DAYS = 90
MAX_RECENT = 100
DAY, HOUR = 86_400, 3_600


@dataclass(frozen=True)
class Activity:
    """``counts[issue_id]``: occurrences per bucket, oldest first, the last one ``now``'s."""

    start: datetime  # the first bucket's start (UTC, on a bucket boundary)
    bucket_seconds: int
    counts: dict[str, list[int]]


@dataclass(frozen=True)
class StoredEvent:
    uuid: str
    distinct_id: str
    timestamp: datetime
    properties: dict


def _epoch(conn: AsyncConnection, column):
    """Whole seconds since 1970 of a timestamp column, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), Integer)
    return cast(func.strftime("%s", column), Integer)  # SQLite keeps UTC text


async def occurrence_counts(
    conn: AsyncConnection,
    project_id: int,
    issue_ids: Sequence[str],
    *,
    now: datetime,
    days: int = 14,
    hourly: bool = False,
) -> Activity:
    """Occurrences of each issue in the last ``days`` (at most ``MAX_DAYS``) per UTC day,
    or per hour with ``hourly``; issues without events in the window count zeros."""
    days = max(1, min(days, MAX_DAYS))
    size = HOUR if hourly else DAY
    buckets = days * DAY // size
    first = int(now.timestamp()) // size - (buckets - 1)
    start = datetime.fromtimestamp(first * size, UTC)
    counts = {issue_id: [0] * buckets for issue_id in issue_ids}
    if not counts:
        return Activity(start, size, counts)
    bucket = (_epoch(conn, events.c.timestamp) // size).label("bucket")
    rows = await conn.execute(
        select(events.c.issue_id, bucket, func.count())
        .where(
            events.c.project_id == project_id,
            events.c.issue_id.in_(list(counts)),
            events.c.timestamp >= start,
            events.c.timestamp < start + timedelta(seconds=buckets * size),
        )
        .group_by(events.c.issue_id, bucket)
    )
    for issue_id, index, n in rows:
        position = int(index) - first
        if 0 <= position < buckets:
            counts[issue_id][position] += int(n)
    return Activity(start, size, counts)


async def recent_events(
    conn: AsyncConnection, project_id: int, issue_id: str, *, limit: int = 20
) -> list[StoredEvent]:
    """The issue's newest events, newest first."""
    rows = await conn.execute(
        select(events.c.uuid, events.c.distinct_id, events.c.timestamp, events.c.properties)
        .where(events.c.project_id == project_id, events.c.issue_id == issue_id)
        .order_by(events.c.timestamp.desc(), events.c.uuid.desc())
        .limit(max(1, min(limit, MAX_RECENT)))
    )
    return [StoredEvent(r.uuid, r.distinct_id, r.timestamp, r.properties) for r in rows]


__all__ = ["MAX_DAYS", "MAX_RECENT", "Activity", "StoredEvent", "occurrence_counts", "recent_events"]
