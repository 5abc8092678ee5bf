"""An issue's occurrences per day/hour and its newest events, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from symbols.db import access
from symbols.db.events import EventRow, insert_events
from symbols.db.issue_activity import MAX_DAYS, occurrence_counts, recent_events
from tests.support.issues import seed_issue

NOW = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)


async def _events(conn, project_id: int, issue_id: str, times: list[datetime]) -> list[str]:
    rows = [EventRow(project_id=project_id, uuid=str(uuid.uuid4()), event="$exception",
                     distinct_id=f"u{i}", timestamp=ts, properties={"i": i}, issue_id=issue_id)
            for i, ts in enumerate(times)]
    await insert_events(conn, rows)
    return [r.uuid for r in rows]


async def test_counts_per_day_and_hour_inside_the_window_and_the_project_only(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "a")).id
        other = (await access.create_project(conn, "b")).id
        first = await seed_issue(conn, team, "f1", distinct_ids=())
        second = await seed_issue(conn, team, "f2", distinct_ids=())
        foreign = await seed_issue(conn, other, "f1", distinct_ids=())
        await _events(conn, team, first, [
            NOW - timedelta(days=20),  # before the window
            NOW - timedelta(days=13, hours=15, minutes=29),  # 2026-11-27 00:01: the first day
            NOW - timedelta(days=2), NOW - timedelta(days=2, minutes=5),
            NOW.replace(hour=0, minute=0), NOW - timedelta(minutes=1),
            NOW + timedelta(days=1),  # a client clock ahead: past the window
        ])
        await _events(conn, other, foreign, [NOW, NOW])
    async with database.connect() as conn:
        days = await occurrence_counts(conn, team, [first, second, foreign], now=NOW, days=14)
        hours = await occurrence_counts(conn, team, [first], now=NOW, days=1, hourly=True)
        capped = await occurrence_counts(conn, team, [first], now=NOW, days=10_000)
        none = await occurrence_counts(conn, team, [], now=NOW)
    assert days.start == datetime(2026, 11, 27, tzinfo=UTC) and days.bucket_seconds == 86_400
    assert days.counts[first] == [1] + [0] * 10 + [2, 0, 2]
    assert days.counts[second] == [0] * 14
    assert days.counts[foreign] == [0] * 14  # another project's issue id counts nothing here
    assert hours.start == datetime(2026, 12, 9, 16, tzinfo=UTC) and len(hours.counts[first]) == 24
    assert hours.counts[first][-1] == 1 and hours.counts[first][-16] == 1 and sum(hours.counts[first]) == 2
    assert len(capped.counts[first]) == MAX_DAYS and sum(capped.counts[first]) == 6
    assert none.counts == {}


async def test_recent_events_newest_first_bounded_and_scoped(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "a")).id
        other = (await access.create_project(conn, "b")).id
        issue = await seed_issue(conn, team, "f", distinct_ids=())
        uuids = await _events(conn, team, issue, [NOW - timedelta(minutes=m) for m in range(5)])
    async with database.connect() as conn:
        newest = await recent_events(conn, team, issue, limit=3)
        assert await recent_events(conn, other, issue) == []
    assert [e.uuid for e in newest] == uuids[:3]
    assert newest[0].timestamp == NOW and newest[0].properties == {"i": 0} and newest[0].distinct_id == "u0"
