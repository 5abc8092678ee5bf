"""Fingerprints as PostHog's fingerprints API reads them: list (of one issue), by row id,
and by value. Read-only: fingerprints move between issues by merge and split."""

from __future__ import annotations

from ..db import Database
from ..db.issue_fingerprints import (
    Fingerprint,
    fingerprint_by_value,
    get_fingerprint,
    list_fingerprints,
)
from ..db.types import parse_uuid
from ..errors import InvalidInput, Missing
from .issues import findable


async def page(
    db: Database, project_id: int, *, issue_id: str | None, limit: int, offset: int
) -> tuple[list[Fingerprint], int]:
    if issue_id:
        parsed = parse_uuid(issue_id)
        if parsed is None:
            raise InvalidInput("invalid", "issue_id must be a valid UUID")
        issue_id = parsed
    async with db.connect() as conn:
        return await list_fingerprints(conn, project_id, issue_id=issue_id or None, limit=limit, offset=offset)


async def find(db: Database, project_id: int, row_id: str) -> Fingerprint:
    parsed = parse_uuid(row_id)
    if parsed is None:
        raise InvalidInput("invalid", "Invalid fingerprint id")
    async with db.connect() as conn:
        found = await get_fingerprint(conn, project_id, parsed)
    if found is None:
        raise Missing("Fingerprint not found")
    return found


async def resolve(db: Database, project_id: int, value: str | None) -> Fingerprint:
    if not value:
        raise InvalidInput("invalid", "fingerprint query parameter is required")
    found = None
    if findable(value):
        async with db.connect() as conn:
            found = await fingerprint_by_value(conn, project_id, value)
    if found is None:
        raise Missing("Fingerprint not found")
    return found


__all__ = ["find", "page", "resolve"]
