"""Merging issues and splitting fingerprints out of one: fingerprints change issue (their
``version`` goes up by one each time, as PostHog's overrides need), and the stored events
follow them (``issue_id`` and the ``$exception_issue_id`` property), with the counters.

Both lock the fingerprints they move, then the issues involved (``FOR UPDATE`` on
PostgreSQL, in a fixed order; SQLite has one writer at a time), the order in which issue
linking takes its locks, and only ever touch issues of ``team_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import events, issue_assignments, issue_fingerprints, issues
from .types import new_uuid, utcnow

UNTITLED = "Untitled issue"
_ISSUE_ID_PROPERTY = "$exception_issue_id"
_FINGERPRINT_PROPERTY = "$exception_fingerprint"


@dataclass(frozen=True)
class SplitPart:
    fingerprint: str
    name: str | None = None
    description: str | None = None


async def _lock(conn: AsyncConnection, team_id: int, issue_ids: Sequence[str], moving: list[str]) -> dict:
    """Lock the fingerprints of the ``moving`` issues, then ``issue_ids``; the issues' rows."""
    await conn.execute(
        select(issue_fingerprints.c.id)
        .where(issue_fingerprints.c.team_id == team_id, issue_fingerprints.c.issue_id.in_(moving))
        .order_by(issue_fingerprints.c.id)
        .with_for_update()
    )
    rows = await conn.execute(
        select(issues)
        .where(issues.c.team_id == team_id, issues.c.id.in_(list(issue_ids)))
        .order_by(issues.c.id)
        .with_for_update()
    )
    return {r.id: r for r in rows}


def _with_issue_id(conn: AsyncConnection, issue_id: str):
    """The events' properties with ``$exception_issue_id`` set to ``issue_id``."""
    if conn.dialect.name == "postgresql":
        return events.c.properties.op("||")(func.jsonb_build_object(_ISSUE_ID_PROPERTY, issue_id))
    return func.json_set(events.c.properties, f'$."{_ISSUE_ID_PROPERTY}"', issue_id)


def _fingerprint_is(fingerprint: str):
    return events.c.properties[_FINGERPRINT_PROPERTY].as_string() == fingerprint


async def _move_events(conn: AsyncConnection, team_id: int, from_ids: list[str], to_id: str, *where) -> None:
    await conn.execute(
        update(events)
        .where(events.c.project_id == team_id, events.c.issue_id.in_(from_ids), *where)
        .values(issue_id=to_id, properties=_with_issue_id(conn, to_id))
    )


async def _move_fingerprints(conn: AsyncConnection, team_id: int, to_id: str, *where) -> None:
    await conn.execute(
        update(issue_fingerprints)
        .where(issue_fingerprints.c.team_id == team_id, *where)
        .values(issue_id=to_id, version=issue_fingerprints.c.version + 1)
    )


async def merge_issues(
    conn: AsyncConnection, team_id: int, target_id: str, source_ids: Sequence[str]
) -> list[str] | None:
    """Merge the sources into the target; the sources merged (those that exist in the
    project), or None when the target is not an issue of ``team_id``."""
    sources = sorted(set(source_ids) - {target_id})
    locked = await _lock(conn, team_id, [target_id, *sources], sources)
    if target_id not in locked:
        return None
    merged = [s for s in sources if s in locked]
    if not merged:
        return []
    await _move_fingerprints(conn, team_id, target_id, issue_fingerprints.c.issue_id.in_(merged))
    await _move_events(conn, team_id, merged, target_id)
    await _adopt_assignee(conn, target_id, merged)
    rows = [locked[i] for i in (target_id, *merged)]
    firsts = [r.first_seen for r in rows if r.first_seen is not None]
    lasts = [r.last_seen for r in rows if r.last_seen is not None]
    await conn.execute(
        update(issues)
        .where(issues.c.id == target_id)
        .values(
            occurrences=sum(int(r.occurrences) for r in rows),
            first_seen=min(firsts, default=None),
            last_seen=max(lasts, default=None),
            state_updated_at=utcnow(),
        )
    )
    await conn.execute(delete(issues).where(issues.c.team_id == team_id, issues.c.id.in_(merged)))
    return merged


async def _adopt_assignee(conn: AsyncConnection, target_id: str, source_ids: list[str]) -> None:
    """An unassigned target takes the sources' assignee when they all share exactly one."""
    assigned = select(issue_assignments.c.issue_id).where(issue_assignments.c.issue_id == target_id)
    if (await conn.execute(assigned)).first() is not None:
        return
    rows = await conn.execute(
        select(issue_assignments.c.user_id, issue_assignments.c.role_id)
        .where(issue_assignments.c.issue_id.in_(source_ids))
        .distinct()
    )
    distinct = {(r.user_id, r.role_id) for r in rows}
    if len(distinct) != 1:
        return
    user_id, role_id = distinct.pop()
    await conn.execute(
        insert(issue_assignments).values(issue_id=target_id, user_id=user_id, role_id=role_id, created_at=utcnow())
    )


async def split_issue(
    conn: AsyncConnection, team_id: int, issue_id: str, parts: Sequence[SplitPart]
) -> list[str] | None:
    """Each listed fingerprint the issue owns moves, with its events, to a new issue; the
    new issues' ids, or None when ``issue_id`` is not an issue of ``team_id``."""
    locked = await _lock(conn, team_id, [issue_id], [issue_id])
    if issue_id not in locked:
        return None
    rows = await conn.execute(
        select(issue_fingerprints).where(
            issue_fingerprints.c.team_id == team_id, issue_fingerprints.c.issue_id == issue_id
        )
    )
    owned = {r.fingerprint: r for r in rows}
    new_ids: list[str] = []
    moved_total = 0
    for part in parts:
        fingerprint = owned.pop(part.fingerprint, None)
        if fingerprint is None:  # not this issue's, or listed twice
            continue
        # min/max keep the column's type, so SQLite's text comes back as aware datetimes.
        count, first, last = (
            await conn.execute(
                select(func.count(), func.min(events.c.timestamp), func.max(events.c.timestamp)).where(
                    events.c.project_id == team_id, events.c.issue_id == issue_id, _fingerprint_is(part.fingerprint)
                )
            )
        ).one()
        new_id, now = new_uuid(), utcnow()
        await conn.execute(
            insert(issues).values(
                id=new_id,
                team_id=team_id,
                status="active",
                name=part.name or UNTITLED,
                description=part.description,
                created_at=now,
                state_updated_at=now,
                first_seen=fingerprint.first_seen or first,
                last_seen=last,
                occurrences=int(count),
            )
        )
        await _move_fingerprints(conn, team_id, new_id, issue_fingerprints.c.id == fingerprint.id)
        await _move_events(conn, team_id, [issue_id], new_id, _fingerprint_is(part.fingerprint))
        new_ids.append(new_id)
        moved_total += int(count)
    if new_ids:
        await _recount_after_split(conn, team_id, locked[issue_id], owned.values(), moved_total)
    return new_ids


async def _recount_after_split(conn: AsyncConnection, team_id: int, issue, kept, moved: int) -> None:
    """The split issue keeps its other fingerprints' first_seen and its other events."""
    firsts = [f.first_seen for f in kept if f.first_seen is not None]
    values = {"occurrences": max(int(issue.occurrences) - moved, 0)}
    if firsts:
        values["first_seen"] = min(firsts)
    if moved:
        last = (
            await conn.execute(
                select(func.max(events.c.timestamp)).where(
                    events.c.project_id == team_id, events.c.issue_id == issue.id
                )
            )
        ).scalar()
        values["last_seen"] = last
    await conn.execute(update(issues).where(issues.c.id == issue.id).values(**values))

