"""Releases: a version of the user's software that symbol sets can belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import releases, symbol_sets
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


async def update_release(conn: AsyncConnection, release: Release, changes: dict[str, Any]) -> Release:
    """Set ``version``, ``project``, ``hash_id`` (unique in the project: ReleaseHashInUse)
    and/or ``metadata`` of one release; the release as it is now."""
    hash_id = changes.get("hash_id")
    if hash_id and hash_id != release.hash_id and await get_release_by_hash(conn, release.team_id, hash_id):
        raise ReleaseHashInUse(hash_id)
    values = dict(changes)
    if "metadata" in values:
        values["metadata"] = None if values["metadata"] is None else orjson.dumps(values["metadata"]).decode()
    if values:
        try:
            async with conn.begin_nested():
                await conn.execute(update(releases).where(releases.c.id == release.id).values(**values))
        except IntegrityError:
            raise ReleaseHashInUse(hash_id) from None
    return await get_release(conn, release.team_id, release.id)


async def delete_release(conn: AsyncConnection, project_id: int, release_id: str) -> bool:
    """Delete one release; its symbol sets stay, detached (not deleted with their files)."""
    await conn.execute(
        update(symbol_sets)
        .where(symbol_sets.c.team_id == project_id, symbol_sets.c.release_id == release_id)
        .values(release_id=None)
    )
    result = await conn.execute(
        delete(releases).where(releases.c.team_id == project_id, releases.c.id == release_id)
    )
    return result.rowcount > 0
