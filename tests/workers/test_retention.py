"""Event retention: events older than the setting are deleted in batches, per project."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from symbols.config import ConfigError, Settings
from symbols.db import access
from symbols.db.events import EventRow, insert_events
from symbols.db.tables import events
from symbols.errortracking.events import purge_expired_events
from symbols.workers.retention import retention_running

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


async def _seed(db, now: datetime = NOW) -> dict[str, int]:
    """Events 1..12 days old in two projects; uuid -> age in days."""
    ages = {}
    async with db.begin() as conn:
        rows = []
        for name in ("web", "api"):
            team = (await access.create_project(conn, name)).id
            for days in range(1, 13):
                event_uuid = str(uuid.uuid4())
                ages[event_uuid] = days
                rows.append(EventRow(team, event_uuid, "e", "d", now - timedelta(days=days, minutes=1), {}))
        await insert_events(conn, rows)
    return ages


async def _left(db) -> set[str]:
    async with db.connect() as conn:
        return {r.uuid for r in await conn.execute(select(events.c.uuid))}


async def test_older_events_are_deleted_in_batches(database):
    ages = await _seed(database)
    deleted = await purge_expired_events(database, 5, batch=3, now=NOW)
    assert deleted == 2 * 8  # ages 5..12 in each project, over several batches
    assert await _left(database) == {u for u, days in ages.items() if days < 5}
    assert await purge_expired_events(database, 5, batch=3, now=NOW) == 0


async def test_the_worker_task_purges_when_the_setting_is_set(database):
    ages = await _seed(database, datetime.now(UTC))
    expected = {u for u, days in ages.items() if days < 3}
    async with retention_running(database, None):
        await asyncio.sleep(0)
    assert len(await _left(database)) == len(ages)
    async with retention_running(database, 10000):
        await asyncio.sleep(0)
    async with retention_running(database, 3):
        for _ in range(1000):  # the task runs its first purge at once
            if await _left(database) == expected:
                break
            await asyncio.sleep(0.01)
    assert await _left(database) == expected


def test_the_setting_is_read_and_validated():
    assert Settings.from_env({}).event_retention_days is None
    assert Settings.from_env({"SYMBOLS_EVENT_RETENTION_DAYS": "30"}).event_retention_days == 30
    for bad in ("0", "-1", "x"):
        try:
            Settings.from_env({"SYMBOLS_EVENT_RETENTION_DAYS": bad})
        except ConfigError:
            continue
        raise AssertionError(bad)
