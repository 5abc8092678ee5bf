"""Releases: a version of the user's software that symbol sets can belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import releases
from .types import new_uuid, utcnow


class ReleaseHashInUse(Exception):
    pass


@dataclass(frozen=True)
class Release:
    id: str
    team_id: int
    hash_id: str
    version: str
    project: str
    metadata: Any
    created_at: datetime


def release_from_row(row: Any) -> Release:
    return Release(
        id=row.id,
        team_id=row.team_id,
        hash_id=row.hash_id,
        version=row.version,
        project=row.project,
        metadata=orjson.loads(row.metadata) if row.metadata is not None else None,
        created_at=row.created_at,
    )


async def create_release(
    conn: AsyncConnection,
    project_id: int,
    *,
    version: str,
    project: str,
    hash_id: str | None = None,
    metadata: Any = None,
) -> Release:
    """A new release; ``hash_id`` defaults to the release id. Raises ReleaseHashInUse."""
    release_id = new_uuid()
    release = Release(
        id=release_id,
        team_id=project_id,
        hash_id=hash_id or release_id,
        version=version,
        project=project,
        metadata=metadata,
        created_at=utcnow(),
    )
    if await get_release_by_hash(conn, project_id, release.hash_id) is not None:
        raise ReleaseHashInUse(release.hash_id)
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(releases).values(
                    id=release.id,
                    team_id=project_id,
                    hash_id=release.hash_id,
                    version=version,
                    project=project,
                    metadata=None if metadata is None else orjson.dumps(metadata).decode(),
                    created_at=release.created_at,
                )
            )
    except IntegrityError:
        raise ReleaseHashInUse(release.hash_id) from None
    return release


async def get_release(conn: AsyncConnection, project_id: int, release_id: str) -> Release | None:
    row = (
        await conn.execute(select(releases).where(releases.c.team_id == project_id, releases.c.id == release_id))
    ).first()
    return release_from_row(row) if row else None


async def get_release_by_hash(conn: AsyncConnection, project_id: int, hash_id: str) -> Release | None:
    row = (
        await conn.execute(
            select(releases).where(releases.c.team_id == project_id, releases.c.hash_id == hash_id)
        )
    ).first()
    return release_from_row(row) if row else None


async def existing_release_ids(conn: AsyncConnection, project_id: int, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    rows = await conn.execute(
        select(releases.c.id).where(releases.c.team_id == project_id, releases.c.id.in_(sorted(ids)))
    )
    return {r.id for r in rows}


async def list_releases(
    conn: AsyncConnection, project_id: int, *, limit: int, offset: int
) -> tuple[list[Release], int]:
    where = releases.c.team_id == project_id
    count = (await conn.execute(select(func.count()).select_from(releases).where(where))).scalar_one()
    rows = await conn.execute(
        select(releases)
        .where(where)
        .order_by(releases.c.created_at.desc(), releases.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [release_from_row(r) for r in rows], int(count)
