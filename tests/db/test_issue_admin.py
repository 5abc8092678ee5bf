"""Issue management queries (list, change, assign, merge, split) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from symbols.db import access
from symbols.db.issue_admin import (
    existing_issue_ids,
    get_issue,
    list_issues,
    set_assignee,
    update_issues,
)
from symbols.db.issue_regroup import UNTITLED, SplitPart, merge_issues, split_issue
from symbols.db.issues import Assignee
from symbols.db.tables import events, issue_fingerprints, issues
from symbols.db.users import create_role, create_user
from tests.support.issues import T0, seed_issue


async def _projects(db, n=2) -> list[int]:
    async with db.begin() as conn:
        return [(await access.create_project(conn, f"p{i}")).id for i in range(n)]


async def test_list_orders_filters_counts_and_isolates(database):
    team, other = await _projects(database)
    async with database.begin() as conn:
        old = await seed_issue(conn, team, "a", name="Old bug", distinct_ids=("u1", "u1", "u2"), start=T0)
        new = await seed_issue(conn, team, "b", name="ValueError", description="50%_off", start=T0 + timedelta(days=1))
        await seed_issue(conn, other, "a", name="Old bug")
        await update_issues(conn, team, [new], {"status": "resolved"})
    async with database.connect() as conn:
        page, count = await list_issues(conn, team)
        assert count == 2 and [i.id for i in page] == [new, old]
        assert (page[1].occurrences, page[1].users, page[1].first_seen, page[1].last_seen) == (
            3, 2, T0, T0 + timedelta(minutes=2),
        )
        assert [i.id for i in (await list_issues(conn, team, order_by="occurrences"))[0]] == [old, new]
        assert [i.id for i in (await list_issues(conn, team, order_by="first_seen", descending=False))[0]] == [old, new]
        assert [i.id for i in (await list_issues(conn, team, status="resolved"))[0]] == [new]
        assert [i.id for i in (await list_issues(conn, team, search="old BUG"))[0]] == [old]
        assert [i.id for i in (await list_issues(conn, team, search="0%_"))[0]] == [new]  # literal % and _
        assert (await list_issues(conn, team, search="%x"))[1] == 0
        second, total = await list_issues(conn, team, limit=1, offset=1)
        assert total == 2 and [i.id for i in second] == [old]
        assert await get_issue(conn, other, old) is None
        assert await existing_issue_ids(conn, other, [old, new]) == []


async def test_update_stamps_only_real_changes(database):
    [team] = await _projects(database, 1)
    async with database.begin() as conn:
        issue_id = await seed_issue(conn, team, "a")
    async with database.begin() as conn:
        assert await update_issues(conn, team, [issue_id], {"name": "TypeError"}) == 0
        assert await update_issues(conn, team, [issue_id], {"name": "Renamed", "description": None}) == 1
    async with database.connect() as conn:
        issue = await get_issue(conn, team, issue_id)
    assert (issue.name, issue.description) == ("Renamed", None)
    assert issue.state_updated_at > issue.created_at


async def test_assign_replace_and_unassign(database):
    [team] = await _projects(database, 1)
    async with database.begin() as conn:
        user = await create_user(conn, "a@example.com", "A")
        role = await create_role(conn, "Frontend")
        issue_id = await seed_issue(conn, team, "a")
        await set_assignee(conn, [issue_id], Assignee("user", user.id))
    async with database.begin() as conn:
        assert (await get_issue(conn, team, issue_id)).assignee == Assignee("user", user.id)
        await set_assignee(conn, [issue_id], Assignee("role", role.id))
        assert (await get_issue(conn, team, issue_id)).assignee == Assignee("role", role.id)
        await set_assignee(conn, [issue_id], None)
        assert (await get_issue(conn, team, issue_id)).assignee is None


async def _event_issues(conn, team) -> dict[str, set]:
    rows = await conn.execute(select(events.c.issue_id, events.c.properties).where(events.c.project_id == team))
    found: dict[str, set] = {}
    for issue_id, props in rows:
        assert props["$exception_issue_id"] == issue_id
        found.setdefault(issue_id, set()).add(props["$exception_fingerprint"])
    return found


async def test_merge_moves_fingerprints_events_counters_and_shared_assignee(database):
    team, other = await _projects(database)
    async with database.begin() as conn:
        user = await create_user(conn, "a@example.com", "A")
        target = await seed_issue(conn, team, "t", distinct_ids=("u1",), start=T0 + timedelta(hours=1))
        s1 = await seed_issue(conn, team, "s1", distinct_ids=("u1", "u2"), start=T0)
        s2 = await seed_issue(conn, team, "s2", distinct_ids=("u3",), start=T0 + timedelta(hours=5))
        foreign = await seed_issue(conn, other, "f")
        await set_assignee(conn, [s1, s2], Assignee("user", user.id))
    async with database.begin() as conn:
        assert await merge_issues(conn, team, target, [s1, s2, target, foreign, s1]) == sorted([s1, s2])
        assert await merge_issues(conn, other, target, [foreign]) is None
    async with database.connect() as conn:
        merged = await get_issue(conn, team, target)
        assert (merged.occurrences, merged.users, merged.first_seen, merged.last_seen) == (
            4, 3, T0, T0 + timedelta(hours=5),
        )
        assert merged.assignee == Assignee("user", user.id)
        assert await existing_issue_ids(conn, team, [s1, s2]) == []
        assert await get_issue(conn, other, foreign) is not None
        fps = {r.fingerprint: (r.issue_id, r.version) for r in await conn.execute(select(issue_fingerprints))}
        assert fps == {"t": (target, 0), "s1": (target, 1), "s2": (target, 1), "f": (foreign, 0)}
        assert await _event_issues(conn, team) == {target: {"t", "s1", "s2"}}


async def test_merge_keeps_target_assignee_and_ignores_two_different_ones(database):
    [team] = await _projects(database, 1)
    async with database.begin() as conn:
        a = await create_user(conn, "a@example.com", "A")
        b = await create_user(conn, "b@example.com", "B")
        target, s1, s2 = [await seed_issue(conn, team, fp) for fp in ("t", "s1", "s2")]
        await set_assignee(conn, [s1], Assignee("user", a.id))
        await set_assignee(conn, [s2], Assignee("user", b.id))
        assert await merge_issues(conn, team, target, [s1, s2]) == sorted([s1, s2])
        assert (await get_issue(conn, team, target)).assignee is None
        s3 = await seed_issue(conn, team, "s3")
        await set_assignee(conn, [s3], Assignee("user", a.id))
        await set_assignee(conn, [target], Assignee("user", b.id))
        await merge_issues(conn, team, target, [s3])
        assert (await get_issue(conn, team, target)).assignee == Assignee("user", b.id)


async def test_split_makes_new_issues_with_their_events(database):
    team, other = await _projects(database)
    async with database.begin() as conn:
        first = await seed_issue(conn, team, "a", distinct_ids=("u1", "u2"), start=T0)
        second = await seed_issue(conn, team, "b", distinct_ids=("u3",), start=T0 + timedelta(hours=2))
        third = await seed_issue(conn, team, "c", distinct_ids=("u4",), start=T0 + timedelta(hours=1))
        await merge_issues(conn, team, first, [second, third])
    async with database.begin() as conn:
        assert await split_issue(conn, other, first, [SplitPart("b")]) is None
        new_ids = await split_issue(
            conn, team, first,
            [SplitPart("b", "Split B", "why"), SplitPart("c"), SplitPart("b"), SplitPart("nope")],
        )
    assert len(new_ids) == 2
    async with database.connect() as conn:
        b, c, rest = [await get_issue(conn, team, i) for i in (*new_ids, first)]
        assert (b.name, b.description, b.status, b.occurrences, b.users) == ("Split B", "why", "active", 1, 1)
        assert (b.first_seen, b.last_seen) == (T0 + timedelta(hours=2), T0 + timedelta(hours=2))
        assert (c.name, c.description) == (UNTITLED, None)
        assert (rest.occurrences, rest.users, rest.first_seen, rest.last_seen) == (2, 2, T0, T0 + timedelta(minutes=1))
        fps = {r.fingerprint: (r.issue_id, r.version) for r in await conn.execute(select(issue_fingerprints))}
        assert fps == {"a": (first, 0), "b": (new_ids[0], 2), "c": (new_ids[1], 2)}
        assert await _event_issues(conn, team) == {first: {"a"}, new_ids[0]: {"b"}, new_ids[1]: {"c"}}
        assert (await conn.execute(select(issues.c.id).where(issues.c.team_id == team))).all().__len__() == 3
