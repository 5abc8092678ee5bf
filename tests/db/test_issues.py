"""Linking fingerprints to issues, counters and assignment, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from symbols.db import access
from symbols.db.issues import (
    Assignee,
    NewIssue,
    Occurrences,
    assign_if_unassigned,
    link_fingerprints,
    record_occurrences,
)
from symbols.db.tables import issue_assignments, issue_fingerprints, issues, users

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _project(db) -> int:
    async with db.begin() as conn:
        return (await access.create_project(conn, "web")).id


async def test_new_fingerprint_creates_an_issue_once_and_then_finds_it(database):
    team = await _project(database)
    proposal = NewIssue("fp-1", "TypeError", "x" * 300, T0)
    async with database.begin() as conn:
        first = await link_fingerprints(conn, team, [proposal])
    async with database.begin() as conn:
        again = await link_fingerprints(conn, team, [NewIssue("fp-1", "Other", "y", T0)])
    assert first["fp-1"].created and not again["fp-1"].created
    assert first["fp-1"].issue_id == again["fp-1"].issue_id
    async with database.connect() as conn:
        row = (await conn.execute(select(issues))).one()
        fp = (await conn.execute(select(issue_fingerprints))).one()
    assert (row.name, row.description, row.status) == ("TypeError", "x" * 255, "active")
    assert (fp.fingerprint, fp.version, fp.first_seen) == ("fp-1", 0, T0)


async def test_resolved_issue_reopens_and_suppressed_stays(database):
    team = await _project(database)
    async with database.begin() as conn:
        linked = await link_fingerprints(conn, team, [NewIssue("a", "A", None, T0), NewIssue("b", "B", None, T0)])
        await conn.execute(update(issues).where(issues.c.id == linked["a"].issue_id).values(status="resolved"))
        await conn.execute(update(issues).where(issues.c.id == linked["b"].issue_id).values(status="suppressed"))
    async with database.begin() as conn:
        again = await link_fingerprints(conn, team, [NewIssue("a", "A", None, T0), NewIssue("b", "B", None, T0)])
    assert (again["a"].status, again["a"].reopened) == ("active", True)
    assert (again["b"].status, again["b"].reopened) == ("suppressed", False)


async def test_fingerprints_are_per_project(database):
    one, two = await _project(database), await _project(database)
    async with database.begin() as conn:
        a = await link_fingerprints(conn, one, [NewIssue("same", "E", None, T0)])
        b = await link_fingerprints(conn, two, [NewIssue("same", "E", None, T0)])
    assert a["same"].issue_id != b["same"].issue_id


async def test_concurrent_linking_of_one_new_fingerprint_makes_one_issue(database):
    team = await _project(database)
    start = asyncio.Event()

    async def link():
        await start.wait()
        async with database.begin() as conn:
            return await link_fingerprints(conn, team, [NewIssue("race", "E", None, T0)])

    tasks = [asyncio.create_task(link()) for _ in range(4)]
    start.set()
    results = await asyncio.gather(*tasks)
    assert len({r["race"].issue_id for r in results}) == 1
    async with database.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(issues))).scalar_one() == 1


async def test_occurrences_add_up_and_seen_times_widen(database):
    team = await _project(database)
    async with database.begin() as conn:
        issue_id = (await link_fingerprints(conn, team, [NewIssue("f", "E", None, T0)]))["f"].issue_id
        await record_occurrences(conn, {issue_id: Occurrences(3, T0, T0 + timedelta(minutes=5))})
        await record_occurrences(conn, {issue_id: Occurrences(2, T0 - timedelta(hours=1), T0)})
    async with database.connect() as conn:
        row = (await conn.execute(select(issues))).one()
    assert (row.occurrences, row.first_seen, row.last_seen) == (
        5,
        T0 - timedelta(hours=1),
        T0 + timedelta(minutes=5),
    )


async def test_assignment_never_overwrites(database):
    team = await _project(database)
    async with database.begin() as conn:
        await conn.execute(users.insert().values(id=1, email="a@x", name="A", created_at=T0))
        await conn.execute(users.insert().values(id=2, email="b@x", name="B", created_at=T0))
        issue_id = (await link_fingerprints(conn, team, [NewIssue("f", "E", None, T0)]))["f"].issue_id
        assert await assign_if_unassigned(conn, issue_id, Assignee("user", 1))
        assert not await assign_if_unassigned(conn, issue_id, Assignee("user", 2))
    async with database.connect() as conn:
        assert (await conn.execute(select(issue_assignments.c.user_id))).scalar_one() == 1
