"""Users and roles: the people (and groups of people) an issue can be assigned to.

They only exist to be assignees (PostHog's user ids are integers, role ids UUIDs); they
are created from the command line and never log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import roles, users
from .types import new_uuid, utcnow
from .upsert import insert_ignoring_conflicts


class AlreadyExists(ValueError):
    """A user with this email, or a role with this name, exists already."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    created_at: datetime


async def create_user(conn: AsyncConnection, email: str, name: str) -> User:
    now = utcnow()
    result = await conn.execute(
        insert_ignoring_conflicts(conn, users)
        .values(email=email, name=name, created_at=now)
        .returning(users.c.id)
    )
    user_id = result.scalar()
    if user_id is None:
        raise AlreadyExists(f"a user with email {email} exists already")
    return User(int(user_id), email, name, now)


async def list_users(conn: AsyncConnection, *, limit: int | None = None, offset: int = 0) -> list[User]:
    rows = await conn.execute(select(users).order_by(users.c.id).limit(limit).offset(offset))
    return [User(r.id, r.email, r.name, r.created_at) for r in rows]


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    return (await conn.execute(select(users.c.id).where(users.c.id == user_id))).first() is not None


async def create_role(conn: AsyncConnection, name: str) -> Role:
    now, role_id = utcnow(), new_uuid()
    result = await conn.execute(
        insert_ignoring_conflicts(conn, roles)
        .values(id=role_id, name=name, created_at=now)
        .returning(roles.c.id)
    )
    if result.first() is None:
        raise AlreadyExists(f"a role named {name} exists already")
    return Role(role_id, name, now)


async def list_roles(conn: AsyncConnection, *, limit: int | None = None, offset: int = 0) -> list[Role]:
    rows = await conn.execute(select(roles).order_by(roles.c.name, roles.c.id).limit(limit).offset(offset))
    return [Role(r.id, r.name, r.created_at) for r in rows]


async def count_people(conn: AsyncConnection) -> tuple[int, int]:
    """How many users and roles there are."""
    n_users = (await conn.execute(select(func.count()).select_from(users))).scalar_one()
    n_roles = (await conn.execute(select(func.count()).select_from(roles))).scalar_one()
    return int(n_users), int(n_roles)


async def role_exists(conn: AsyncConnection, role_id: str) -> bool:
    return (await conn.execute(select(roles.c.id).where(roles.c.id == role_id))).first() is not None


__all__ = [
    "AlreadyExists",
    "Role",
    "User",
    "count_people",
    "create_role",
    "create_user",
    "list_roles",
    "list_users",
    "role_exists",
    "user_exists",
]
