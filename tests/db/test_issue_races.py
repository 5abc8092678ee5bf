"""Merge and split against the pipeline linking the same fingerprints at the same time: no
event ends in an issue that is gone, no count is lost (PostgreSQL: row locks; SQLite has
one writer at a time)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from symbols.db import access
from symbols.db.events import EventRow, insert_events
from symbols.db.issue_admin import get_issue
from symbols.db.issue_regroup import SplitPart, merge_issues, split_issue
from symbols.db.issues import NewIssue, Occurrences, link_fingerprints, record_occurrences
from symbols.db.tables import events, issues
from tests.support.issues import T0, seed_issue


async def _link_and_store(conn, team: int, fingerprint: str) -> str:
    """What the pipeline's store stage does for one event of ``fingerprint``."""
    issue_id = (await link_fingerprints(conn, team, [NewIssue(fingerprint, "E", None, T0)]))[fingerprint].issue_id
    props = {"$exception_fingerprint": fingerprint, "$exception_issue_id": issue_id}
    await insert_events(conn, [EventRow(team, str(uuid.uuid4()), "$exception", "late", T0, props, issue_id=issue_id)])
    await record_occurrences(conn, {issue_id: Occurrences(1, T0, T0)})
    return issue_id


async def _orphans(db, team: int) -> int:
    async with db.connect() as conn:
        known = select(issues.c.id)
        query = select(func.count()).where(events.c.project_id == team, events.c.issue_id.not_in(known))
        return (await conn.execute(query)).scalar_one()


async def test_merge_during_linking_loses_nothing(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "p")).id
        target = await seed_issue(conn, team, "t")
        source = await seed_issue(conn, team, "s")
    async with database.begin() as linking:
        await _link_and_store(linking, team, "s")

        async def merge():
            async with database.begin() as conn:
                return await merge_issues(conn, team, target, [source])

        merging = asyncio.create_task(merge())
        await asyncio.sleep(0.2)  # let the merge start (it waits for this transaction's locks)
    assert await merging == [source]
    assert await _orphans(database, team) == 0
    async with database.connect() as conn:
        assert (await get_issue(conn, team, target)).occurrences == 3


async def test_linking_during_split_follows_the_fingerprint(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "p")).id
        first = await seed_issue(conn, team, "a")
        await merge_issues(conn, team, first, [await seed_issue(conn, team, "b")])
    async with database.begin() as splitting:
        [new] = await split_issue(splitting, team, first, [SplitPart("b")])

        async def link():
            async with database.begin() as conn:
                return await _link_and_store(conn, team, "b")

        linking = asyncio.create_task(link())
        await asyncio.sleep(0.2)  # the pipeline waits for the split's locks
    assert await linking == new
    async with database.connect() as conn:
        assert (await get_issue(conn, team, new)).occurrences == 2
        assert (await get_issue(conn, team, first)).occurrences == 1
    assert await _orphans(database, team) == 0


async def test_two_workers_linking_one_issue_both_store(database):
    """The linking lock is on fingerprint rows, which workers never update: two workers
    adding to one issue queue on its counters, without a deadlock."""
    async with database.begin() as conn:
        team = (await access.create_project(conn, "p")).id
        issue_id = await seed_issue(conn, team, "a")
    async with database.begin() as first:
        assert await _link_and_store(first, team, "a") == issue_id

        async def second():
            async with database.begin() as conn:
                return await _link_and_store(conn, team, "a")

        other = asyncio.create_task(second())
        await asyncio.sleep(0.2)  # the second worker reaches the counters' row lock
    assert await other == issue_id
    async with database.connect() as conn:
        assert (await get_issue(conn, team, issue_id)).occurrences == 3
