"""Projects and personal API keys (only a SHA-256 of each secret is stored)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import api_key_projects, api_keys, projects
from .types import utcnow

SCOPE_READ = "error_tracking:read"
SCOPE_WRITE = "error_tracking:write"
# Reading events (the events list and HogQL); PostHog's scope of the same name.
SCOPE_QUERY_READ = "query:read"
KNOWN_SCOPES = (SCOPE_READ, SCOPE_WRITE, SCOPE_QUERY_READ)
KEY_PREFIX = "phx_"
# Public project tokens, as PostHog's SDKs send them to capture.
PROJECT_TOKEN_PREFIX = "phc_"
# last_used_at is refreshed at most this often, so reads do not turn into writes.
_LAST_USED_REFRESH = timedelta(minutes=5)


class UnknownProject(LookupError):
    pass


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    created_at: datetime
    api_token: str


@dataclass(frozen=True)
class ApiKey:
    id: int
    label: str
    scopes: frozenset[str]
    project_ids: frozenset[int]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def generate_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def generate_project_token() -> str:
    return PROJECT_TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_project(conn: AsyncConnection, name: str) -> Project:
    now, token = utcnow(), generate_project_token()
    result = await conn.execute(
        insert(projects).values(name=name, created_at=now, api_token=token).returning(projects.c.id)
    )
    return Project(id=int(result.scalar_one()), name=name, created_at=now, api_token=token)


def _project(row) -> Project:
    return Project(id=row.id, name=row.name, created_at=row.created_at, api_token=row.api_token)


async def list_projects(conn: AsyncConnection) -> list[Project]:
    rows = await conn.execute(select(projects).order_by(projects.c.id))
    return [_project(r) for r in rows]


async def project_by_token(conn: AsyncConnection, token: str) -> Project | None:
    """The project whose public capture token is ``token`` (SDKs' ``api_key``/``token``)."""
    if not token.startswith(PROJECT_TOKEN_PREFIX) or len(token) > 64:
        return None
    row = (await conn.execute(select(projects).where(projects.c.api_token == token))).first()
    return _project(row) if row is not None else None


async def count_projects(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(projects))).scalar_one())


async def project_exists(conn: AsyncConnection, project_id: int) -> bool:
    row = await conn.execute(select(projects.c.id).where(projects.c.id == project_id))
    return row.first() is not None


async def create_api_key(
    conn: AsyncConnection, *, label: str, scopes: list[str], project_ids: list[int]
) -> tuple[ApiKey, str]:
    """A new key bound to ``project_ids``; returns it with its secret (shown once)."""
    unknown = sorted(set(scopes) - set(KNOWN_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    for project_id in project_ids:
        if not await project_exists(conn, project_id):
            raise UnknownProject(project_id)
    secret = generate_secret()
    now = utcnow()
    scope_text = ",".join(sorted(set(scopes)))
    result = await conn.execute(
        insert(api_keys)
        .values(label=label, secret_hash=hash_secret(secret), scopes=scope_text, created_at=now)
        .returning(api_keys.c.id)
    )
    key_id = int(result.scalar_one())
    if project_ids:
        await conn.execute(
            insert(api_key_projects), [{"api_key_id": key_id, "project_id": p} for p in set(project_ids)]
        )
    key = ApiKey(key_id, label, frozenset(scopes), frozenset(project_ids), now, None, None)
    return key, secret


async def _bindings(conn: AsyncConnection, key_ids: list[int]) -> dict[int, set[int]]:
    bound: dict[int, set[int]] = {k: set() for k in key_ids}
    if key_ids:
        rows = await conn.execute(
            select(api_key_projects.c.api_key_id, api_key_projects.c.project_id).where(
                api_key_projects.c.api_key_id.in_(key_ids)
            )
        )
        for key_id, project_id in rows:
            bound[key_id].add(project_id)
    return bound


def _key(row, project_ids: set[int]) -> ApiKey:
    return ApiKey(
        id=row.id,
        label=row.label,
        scopes=frozenset(s for s in row.scopes.split(",") if s),
        project_ids=frozenset(project_ids),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def list_api_keys(conn: AsyncConnection) -> list[ApiKey]:
    rows = (await conn.execute(select(api_keys).order_by(api_keys.c.id))).all()
    bound = await _bindings(conn, [r.id for r in rows])
    return [_key(r, bound[r.id]) for r in rows]


async def find_api_key(conn: AsyncConnection, secret: str) -> ApiKey | None:
    """The active key whose secret this is, or None (unknown or revoked)."""
    return await find_api_key_by_hash(conn, hash_secret(secret))


async def find_api_key_by_hash(conn: AsyncConnection, secret_hash: str) -> ApiKey | None:
    """The active key with this secret hash (what a web session keeps instead of the secret),
    with its projects: one query."""
    rows = (
        await conn.execute(
            select(api_keys, api_key_projects.c.project_id.label("bound_project_id"))
            .select_from(api_keys.outerjoin(api_key_projects, api_key_projects.c.api_key_id == api_keys.c.id))
            .where(api_keys.c.secret_hash == secret_hash, api_keys.c.revoked_at.is_(None))
        )
    ).all()
    if not rows:
        return None
    return _key(rows[0], {r.bound_project_id for r in rows if r.bound_project_id is not None})


def needs_last_used_refresh(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at > _LAST_USED_REFRESH


async def touch_api_key(conn: AsyncConnection, key_id: int) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=utcnow()))


async def revoke_api_key(conn: AsyncConnection, key_id: int) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


async def bootstrap(conn: AsyncConnection) -> tuple[Project, str] | None:
    """On an empty database: project 1 and a key with both scopes (its secret, once)."""
    if await count_projects(conn):
        return None
    project = await create_project(conn, "Default project")
    _, secret = await create_api_key(
        conn, label="bootstrap", scopes=list(KNOWN_SCOPES), project_ids=[project.id]
    )
    return project, secret
