"""Issues and the fingerprints that lead to them (PostHog's ErrorTrackingIssue and
ErrorTrackingIssueFingerprintV2), as the pipeline links events to them.

A fingerprint is unique per project. Linking a batch takes one SELECT for the fingerprints
already known; each new one gets an issue and its fingerprint row, inserted with ON
CONFLICT DO NOTHING so two workers that meet the same new fingerprint at once end with
one issue: the loser drops the issue it made and takes the winner's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import issue_assignments, issue_fingerprints, issues
from .types import new_uuid, utcnow
from .upsert import insert_ignoring_conflicts

# Statuses an event brings back to active; a suppressed issue stays suppressed.
REOPENED_BY_EVENTS = ("resolved", "archived", "pending_release")
DESCRIPTION_LIMIT = 255


@dataclass(frozen=True)
class NewIssue:
    """What an event proposes for the issue of a fingerprint that has none yet."""

    fingerprint: str
    name: str | None
    description: str | None
    first_seen: datetime


@dataclass(frozen=True)
class LinkedIssue:
    issue_id: str
    status: str
    # The event created this issue, or brought it back from resolved/archived/pending.
    created: bool = False
    reopened: bool = False


async def link_fingerprints(
    conn: AsyncConnection, team_id: int, proposals: Sequence[NewIssue]
) -> dict[str, LinkedIssue]:
    """The issue of each proposed fingerprint, creating and reopening as the pipeline does."""
    wanted = {p.fingerprint: p for p in proposals}
    if not wanted:
        return {}
    linked = await _known(conn, team_id, list(wanted))
    for fingerprint in [f for f in wanted if f not in linked]:
        linked[fingerprint] = await _create(conn, team_id, wanted[fingerprint])
    to_reopen = [li.issue_id for li in linked.values() if li.status in REOPENED_BY_EVENTS]
    if to_reopen:
        await conn.execute(
            update(issues)
            .where(issues.c.id.in_(to_reopen), issues.c.status.in_(REOPENED_BY_EVENTS))
            .values(status="active", state_updated_at=utcnow())
        )
        linked = {
            f: LinkedIssue(li.issue_id, "active", li.created, True) if li.issue_id in to_reopen else li
            for f, li in linked.items()
        }
    return linked


async def _known(conn: AsyncConnection, team_id: int, fingerprints: list[str]) -> dict[str, LinkedIssue]:
    rows = await conn.execute(
        select(issue_fingerprints.c.fingerprint, issues.c.id, issues.c.status)
        .join(issues, issues.c.id == issue_fingerprints.c.issue_id)
        .where(issue_fingerprints.c.team_id == team_id, issue_fingerprints.c.fingerprint.in_(fingerprints))
        # Lock order fingerprints, then issues, as merge and split take theirs: a merge or
        # split moving these fingerprints waits for this transaction, or this waits for it
        # and then sees where they went, so no event lands in a gone or wrong issue.
        .with_for_update(read=True, of=issue_fingerprints)
    )
    return {r.fingerprint: LinkedIssue(r.id, r.status) for r in rows}


async def _create(conn: AsyncConnection, team_id: int, proposal: NewIssue) -> LinkedIssue:
    now, issue_id = utcnow(), new_uuid()
    description = proposal.description
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        description = description[:DESCRIPTION_LIMIT]
    await conn.execute(
        insert(issues).values(
            id=issue_id,
            team_id=team_id,
            status="active",
            name=proposal.name,
            description=description,
            created_at=now,
            state_updated_at=now,
            first_seen=proposal.first_seen,
            occurrences=0,
        )
    )
    inserted = await conn.execute(
        insert_ignoring_conflicts(conn, issue_fingerprints)
        .values(
            id=new_uuid(),
            team_id=team_id,
            issue_id=issue_id,
            fingerprint=proposal.fingerprint,
            version=0,
            first_seen=proposal.first_seen,
            created_at=now,
        )
        .returning(issue_fingerprints.c.id)
    )
    if inserted.first() is not None:
        return LinkedIssue(issue_id, "active", created=True)
    # Another worker linked this fingerprint first: use its issue.
    await conn.execute(delete(issues).where(issues.c.id == issue_id))
    return (await _known(conn, team_id, [proposal.fingerprint]))[proposal.fingerprint]


@dataclass(frozen=True)
class Occurrences:
    count: int
    first: datetime
    last: datetime


async def record_occurrences(conn: AsyncConnection, seen: dict[str, Occurrences]) -> None:
    """Add stored events to their issues' counters and first/last seen."""
    if not seen:
        return
    first, last = bindparam("first_ts", type_=issues.c.first_seen.type), bindparam(
        "last_ts", type_=issues.c.last_seen.type
    )
    statement = (
        update(issues)
        .where(issues.c.id == bindparam("issue_id"))
        .values(
            occurrences=issues.c.occurrences + bindparam("n"),
            first_seen=case(
                (issues.c.first_seen.is_(None) | (issues.c.first_seen > first), first),
                else_=issues.c.first_seen,
            ),
            last_seen=case(
                (issues.c.last_seen.is_(None) | (issues.c.last_seen < last), last),
                else_=issues.c.last_seen,
            ),
        )
    )
    await conn.execute(
        statement,
        [{"issue_id": i, "n": o.count, "first_ts": o.first, "last_ts": o.last} for i, o in seen.items()],
    )


@dataclass(frozen=True)
class Assignee:
    """PostHog's assignee: a user (integer id) or a role (UUID)."""

    type: str  # "user" | "role"
    id: int | str

    def to_json(self) -> dict:
        return {"type": self.type, "id": self.id}


async def assign_if_unassigned(conn: AsyncConnection, issue_id: str, assignee: Assignee) -> bool:
    """Assign ``issue_id`` unless it has an assignee already (rules never overwrite one)."""
    values = {
        "issue_id": issue_id,
        "user_id": assignee.id if assignee.type == "user" else None,
        "role_id": assignee.id if assignee.type == "role" else None,
        "created_at": utcnow(),
    }
    result = await conn.execute(
        insert_ignoring_conflicts(conn, issue_assignments).values(**values).returning(
            issue_assignments.c.issue_id
        )
    )
    return result.first() is not None


async def issue_summaries(conn: AsyncConnection, issue_ids: Iterable[str]) -> dict[str, dict]:
    """``{"status", "name", "description"}`` of each issue (what assignment rules see)."""
    ids = list(set(issue_ids))
    if not ids:
        return {}
    rows = await conn.execute(
        select(issues.c.id, issues.c.status, issues.c.name, issues.c.description).where(issues.c.id.in_(ids))
    )
    return {r.id: {"status": r.status, "name": r.name, "description": r.description} for r in rows}


async def issue_statuses(conn: AsyncConnection, issue_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(issue_ids))
    if not ids:
        return {}
    rows = await conn.execute(select(issues.c.id, issues.c.status).where(issues.c.id.in_(ids)))
    return {r.id: r.status for r in rows}


__all__ = [
    "DESCRIPTION_LIMIT",
    "REOPENED_BY_EVENTS",
    "Assignee",
    "LinkedIssue",
    "NewIssue",
    "Occurrences",
    "assign_if_unassigned",
    "issue_statuses",
    "issue_summaries",
    "link_fingerprints",
    "record_occurrences",
]
