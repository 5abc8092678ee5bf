"""Suppression, assignment and grouping rules of a project, and the project's rule version.

Every query is scoped by ``team_id``. Each change (``insert_rule``, ``update_rule``,
``delete_rule``, ``reorder_rules``, ``disable_rule``) bumps ``rule_versions`` in the same
transaction, so workers that cached the project's rules load them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .issues import Assignee
from .tables import (
    assignment_rules,
    grouping_rules,
    issue_fingerprints,
    issues,
    rule_versions,
    suppression_rules,
)
from .types import new_uuid, utcnow
from .upsert import insert_or_increment

TABLES: dict[str, Table] = {
    "suppression": suppression_rules,
    "assignment": assignment_rules,
    "grouping": grouping_rules,
}
# The fingerprint a grouping rule gives the events it matches.
CUSTOM_PREFIX = "custom-rule:"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    filters: Any
    order_key: int
    disabled_data: dict | None
    created_at: datetime
    updated_at: datetime
    sampling_rate: float | None = None  # suppression
    assignee: Assignee | None = None  # assignment, grouping
    description: str | None = None  # grouping


def _rule(kind: str, row) -> Rule:
    m = row._mapping
    assignee = None
    if m.get("user_id") is not None:
        assignee = Assignee("user", m["user_id"])
    elif m.get("role_id") is not None:
        assignee = Assignee("role", m["role_id"])
    return Rule(
        id=row.id, kind=kind, filters=row.filters, order_key=row.order_key,
        disabled_data=row.disabled_data, created_at=row.created_at, updated_at=row.updated_at,
        sampling_rate=m.get("sampling_rate"), assignee=assignee, description=m.get("description"),
    )


def assignee_columns(assignee: Assignee | None) -> dict[str, Any]:
    return {
        "user_id": assignee.id if assignee is not None and assignee.type == "user" else None,
        "role_id": assignee.id if assignee is not None and assignee.type == "role" else None,
    }


async def bump_version(conn: AsyncConnection, team_id: int) -> None:
    await conn.execute(insert_or_increment(conn, rule_versions, "team_id", "version").values(team_id=team_id, version=1))


async def rules_versions(conn: AsyncConnection, team_ids: Sequence[int]) -> dict[int, int]:
    """Each project's rules version (0 before its first rule), in one query per 500 projects."""
    versions = dict.fromkeys(team_ids, 0)
    ids = list(versions)
    for start in range(0, len(ids), 500):
        rows = await conn.execute(select(rule_versions.c.team_id, rule_versions.c.version)
                                  .where(rule_versions.c.team_id.in_(ids[start:start + 500])))
        versions.update((team_id, int(version)) for team_id, version in rows)
    return versions


async def insert_rule(conn: AsyncConnection, kind: str, team_id: int, values: Mapping[str, Any]) -> Rule:
    """A new rule (order_key 0, enabled) with the kind's own ``values``."""
    table, now = TABLES[kind], utcnow()
    # null(): SQL NULL, not JSON null, so enabled rules are ``disabled_data IS NULL``.
    row = {"id": new_uuid(), "team_id": team_id, "order_key": 0, "disabled_data": null(),
           "created_at": now, "updated_at": now, **values}
    await conn.execute(insert(table).values(**row))
    await bump_version(conn, team_id)
    return (await get_rule(conn, kind, team_id, row["id"]))  # type: ignore[return-value]


async def get_rule(conn: AsyncConnection, kind: str, team_id: int, rule_id: str) -> Rule | None:
    table = TABLES[kind]
    row = (await conn.execute(select(table).where(table.c.team_id == team_id, table.c.id == rule_id))).first()
    return _rule(kind, row) if row is not None else None


async def list_rules(
    conn: AsyncConnection, kind: str, team_id: int, *, limit: int | None = None, offset: int = 0,
    enabled_only: bool = False,
) -> list[Rule]:
    """By ``order_key`` (ties by creation, then id, so pages are stable)."""
    table = TABLES[kind]
    query = select(table).where(table.c.team_id == team_id)
    if enabled_only:
        query = query.where(table.c.disabled_data.is_(None))
    query = query.order_by(table.c.order_key, table.c.created_at, table.c.id).limit(limit).offset(offset)
    return [_rule(kind, row) for row in await conn.execute(query)]


async def count_rules(conn: AsyncConnection, kind: str, team_id: int) -> int:
    table = TABLES[kind]
    found = await conn.execute(select(func.count()).select_from(table).where(table.c.team_id == team_id))
    return int(found.scalar_one())


async def update_rule(conn: AsyncConnection, kind: str, team_id: int, rule_id: str, values: Mapping[str, Any]) -> bool:
    """Change ``values`` and enable the rule again (``disabled_data`` reset); False: no such rule."""
    table = TABLES[kind]
    result = await conn.execute(
        update(table).where(table.c.team_id == team_id, table.c.id == rule_id)
        .values(**values, disabled_data=null(), updated_at=utcnow())
    )
    if result.rowcount:
        await bump_version(conn, team_id)
    return bool(result.rowcount)


async def delete_rule(conn: AsyncConnection, kind: str, team_id: int, rule_id: str) -> bool:
    table = TABLES[kind]
    result = await conn.execute(delete(table).where(table.c.team_id == team_id, table.c.id == rule_id))
    if result.rowcount:
        await bump_version(conn, team_id)
    return bool(result.rowcount)


async def reorder_rules(conn: AsyncConnection, kind: str, team_id: int, orders: Mapping[str, int]) -> int:
    """Set each listed rule's ``order_key``; ids of no rule of the project are ignored."""
    table, changed = TABLES[kind], 0
    for rule_id in sorted(orders):  # one lock order for concurrent reorders
        result = await conn.execute(
            update(table).where(table.c.team_id == team_id, table.c.id == rule_id)
            .values(order_key=orders[rule_id])
        )
        changed += result.rowcount
    await bump_version(conn, team_id)
    return changed


async def disable_rule(conn: AsyncConnection, rule: Rule, team_id: int, data: dict) -> bool:
    """Record ``disabled_data`` on ``rule`` as it was loaded: not when it is disabled
    already, nor when it was edited since (the edit may have fixed it)."""
    table = TABLES[rule.kind]
    result = await conn.execute(
        update(table).where(
            table.c.team_id == team_id, table.c.id == rule.id, table.c.disabled_data.is_(None),
            table.c.updated_at == rule.updated_at,
        ).values(disabled_data=data)
    )
    if result.rowcount:
        await bump_version(conn, team_id)
    return bool(result.rowcount)


async def custom_rule_issues(conn: AsyncConnection, team_id: int, rule_ids: Iterable[str]) -> dict[str, dict]:
    """The issue each grouping rule's fingerprint ``custom-rule:<id>`` belongs to, as
    ``{"id", "name"}`` by rule id."""
    wanted = {CUSTOM_PREFIX + rule_id: rule_id for rule_id in rule_ids}
    if not wanted:
        return {}
    rows = await conn.execute(
        select(issue_fingerprints.c.fingerprint, issues.c.id, issues.c.name)
        .select_from(issue_fingerprints.join(issues, issues.c.id == issue_fingerprints.c.issue_id))
        .where(issue_fingerprints.c.team_id == team_id, issue_fingerprints.c.fingerprint.in_(list(wanted)))
    )
    return {wanted[r.fingerprint]: {"id": r.id, "name": r.name} for r in rows}


__all__ = [
    "CUSTOM_PREFIX",
    "TABLES",
    "Rule",
    "assignee_columns",
    "bump_version",
    "count_rules",
    "custom_rule_issues",
    "delete_rule",
    "disable_rule",
    "get_rule",
    "insert_rule",
    "list_rules",
    "reorder_rules",
    "rules_versions",
    "update_rule",
]
