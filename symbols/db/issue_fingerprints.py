"""Reading fingerprint rows (PostHog's ErrorTrackingIssueFingerprintV2), scoped by project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import issue_fingerprints


@dataclass(frozen=True)
class Fingerprint:
    id: str
    fingerprint: str
    issue_id: str
    version: int
    created_at: datetime
    first_seen: datetime | None


def _fingerprint(row) -> Fingerprint:
    return Fingerprint(row.id, row.fingerprint, row.issue_id, int(row.version), row.created_at, row.first_seen)


async def list_fingerprints(
    conn: AsyncConnection, team_id: int, *, issue_id: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Fingerprint], int]:
    """A page of the project's fingerprints (of one issue if given), oldest first."""
    conditions = [issue_fingerprints.c.team_id == team_id]
    if issue_id is not None:
        conditions.append(issue_fingerprints.c.issue_id == issue_id)
    count = (
        await conn.execute(select(func.count()).select_from(issue_fingerprints).where(*conditions))
    ).scalar_one()
    rows = await conn.execute(
        select(issue_fingerprints)
        .where(*conditions)
        .order_by(issue_fingerprints.c.created_at, issue_fingerprints.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_fingerprint(r) for r in rows], int(count)


async def _one(conn: AsyncConnection, team_id: int, condition) -> Fingerprint | None:
    row = (
        await conn.execute(select(issue_fingerprints).where(issue_fingerprints.c.team_id == team_id, condition))
    ).first()
    return _fingerprint(row) if row is not None else None


async def get_fingerprint(conn: AsyncConnection, team_id: int, row_id: str) -> Fingerprint | None:
    return await _one(conn, team_id, issue_fingerprints.c.id == row_id)


async def fingerprint_by_value(conn: AsyncConnection, team_id: int, value: str) -> Fingerprint | None:
    return await _one(conn, team_id, issue_fingerprints.c.fingerprint == value)


async def owner_of(conn: AsyncConnection, team_id: int, value: str) -> str | None:
    """The issue ``value`` belongs to in the project, if any."""
    found = await fingerprint_by_value(conn, team_id, value)
    return found.issue_id if found is not None else None


__all__ = ["Fingerprint", "fingerprint_by_value", "get_fingerprint", "list_fingerprints", "owner_of"]
