"""Issues as people manage them: list, read, change, assign, merge, split.

Every query is scoped by ``team_id``: an issue of another project is never read, changed,
merged or counted. Merge and split move the events' ``issue_id`` (and their
``$exception_issue_id`` property) with the fingerprints, and keep the counters exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .issues import Assignee
from .tables import events, issue_assignments, issues
from .types import utcnow

ORDERINGS = ("last_seen", "first_seen", "occurrences")


@dataclass(frozen=True)
class Issue:
    id: str
    status: str
    name: str | None
    description: str | None
    created_at: datetime
    first_seen: datetime | None
    last_seen: datetime | None
    occurrences: int
    assignee: Assignee | None
    users: int = 0
    state_updated_at: datetime | None = None


def _select():
    return select(
        issues,
        issue_assignments.c.user_id.label("assigned_user"),
        issue_assignments.c.role_id.label("assigned_role"),
    ).select_from(issues.outerjoin(issue_assignments, issue_assignments.c.issue_id == issues.c.id))


def _assignee(row) -> Assignee | None:
    if row.assigned_user is not None:
        return Assignee("user", row.assigned_user)
    if row.assigned_role is not None:
        return Assignee("role", row.assigned_role)
    return None


def _issue(row, users: int = 0) -> Issue:
    return Issue(
        id=row.id,
        status=row.status,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        occurrences=int(row.occurrences),
        assignee=_assignee(row),
        users=users,
        state_updated_at=row.state_updated_at,
    )


async def _users(conn: AsyncConnection, team_id: int, issue_ids: list[str]) -> dict[str, int]:
    """Distinct ``distinct_id``s over each issue's stored events."""
    if not issue_ids:
        return {}
    rows = await conn.execute(
        select(events.c.issue_id, func.count(events.c.distinct_id.distinct()))
        .where(events.c.project_id == team_id, events.c.issue_id.in_(issue_ids))
        .group_by(events.c.issue_id)
    )
    return {issue_id: int(n) for issue_id, n in rows}


async def list_issues(
    conn: AsyncConnection,
    team_id: int,
    *,
    status: str | None = None,
    search: str | None = None,
    order_by: str = "last_seen",
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Issue], int]:
    """A page of a project's issues and the total matching count; issues never seen sort last."""
    if order_by not in ORDERINGS:
        raise ValueError(f"order_by must be one of {ORDERINGS}")
    conditions = [issues.c.team_id == team_id]
    if status is not None:
        conditions.append(issues.c.status == status)
    if search:
        conditions.append(
            issues.c.name.icontains(search, autoescape=True)
            | issues.c.description.icontains(search, autoescape=True)
        )
    count = (await conn.execute(select(func.count()).select_from(issues).where(*conditions))).scalar_one()
    column = issues.c[order_by]
    order = [
        (column.desc() if descending else column.asc()).nulls_last(),
        issues.c.id.desc() if descending else issues.c.id.asc(),
    ]
    rows = (await conn.execute(_select().where(*conditions).order_by(*order).limit(limit).offset(offset))).all()
    users = await _users(conn, team_id, [r.id for r in rows])
    return [_issue(r, users.get(r.id, 0)) for r in rows], int(count)


async def get_issue(conn: AsyncConnection, team_id: int, issue_id: str) -> Issue | None:
    row = (await conn.execute(_select().where(issues.c.team_id == team_id, issues.c.id == issue_id))).first()
    if row is None:
        return None
    return _issue(row, (await _users(conn, team_id, [row.id])).get(row.id, 0))


async def existing_issue_ids(conn: AsyncConnection, team_id: int, issue_ids: Sequence[str]) -> list[str]:
    """The ids among ``issue_ids`` that are issues of ``team_id``, sorted."""
    if not issue_ids:
        return []
    rows = await conn.execute(
        select(issues.c.id).where(issues.c.team_id == team_id, issues.c.id.in_(list(set(issue_ids))))
    )
    return sorted(r.id for r in rows)


async def update_issues(conn: AsyncConnection, team_id: int, issue_ids: Sequence[str], changes: dict) -> int:
    """Set ``status``/``name``/``description`` of those issues where they differ; the
    changed issues get a new ``state_updated_at``. Returns how many changed."""
    if not changes or not issue_ids:
        return 0
    result = await conn.execute(
        update(issues)
        .where(
            issues.c.team_id == team_id,
            issues.c.id.in_(list(issue_ids)),
            or_(*(issues.c[name].is_distinct_from(value) for name, value in changes.items())),
        )
        .values(**changes, state_updated_at=utcnow())
    )
    return result.rowcount


async def set_assignee(conn: AsyncConnection, issue_ids: Sequence[str], assignee: Assignee | None) -> None:
    """Assign (or, with None, unassign) issues already checked to belong to the caller."""
    ids = list(issue_ids)
    if not ids:
        return
    await conn.execute(delete(issue_assignments).where(issue_assignments.c.issue_id.in_(ids)))
    now = utcnow()
    await conn.execute(update(issues).where(issues.c.id.in_(ids)).values(state_updated_at=now))
    if assignee is None:
        return
    await conn.execute(
        insert(issue_assignments),
        [
            {
                "issue_id": issue_id,
                "user_id": assignee.id if assignee.type == "user" else None,
                "role_id": assignee.id if assignee.type == "role" else None,
                "created_at": now,
            }
            for issue_id in ids
        ],
    )


__all__ = [
    "ORDERINGS",
    "Issue",
    "existing_issue_ids",
    "get_issue",
    "list_issues",
    "set_assignee",
    "update_issues",
]
