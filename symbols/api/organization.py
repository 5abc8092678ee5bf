"""The organization's members and roles, read-only: who an issue can be assigned to.

PostHog serves them per organization (``/api/organizations/{id}/members/`` and
``.../roles/``); this service has one organization, reached as ``@current``. Any key with
``error_tracking:read`` may list them (users and roles are not per project).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from ..db.users import Role, User, count_people, list_roles, list_users
from .auth import READ
from .context import context
from .models import Page, PageQuery, Uuid
from .operation import Input, operation
from .parse import json_response, paginated


class OrganizationPath(BaseModel):
    """This service has one organization, ``@current``; any other is a 404."""

    organization_id: Literal["@current"]


class MemberUser(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str


class Member(BaseModel):
    user: MemberUser
    joined_at: datetime


class RoleOut(BaseModel):
    id: Uuid
    name: str
    created_at: datetime


class MemberPage(Page[Member]):
    pass


class RolePage(Page[RoleOut]):
    pass


async def _list(request: web.Request, inp: Input, fetch, which: int, shape) -> web.Response:
    """A page of ``fetch``'s rows; ``which`` picks the users' or the roles' count."""
    ctx = context(request)
    limit, offset = inp.query.page()
    async with ctx.db.connect() as conn:
        count = (await count_people(conn))[which]
        found = await fetch(conn, limit=limit, offset=offset)
    results = [shape(row) for row in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


def _member(user: User) -> dict:
    """PostHog's member row, with what this service knows of a user."""
    return {
        "user": {"id": user.id, "first_name": user.name, "last_name": "", "email": user.email},
        "joined_at": user.created_at,
    }


def _role(role: Role) -> dict:
    return {"id": role.id, "name": role.name, "created_at": role.created_at}


_DOC = "Any personal API key with error_tracking:read, whatever its projects."


@operation("The organization's members", scope=READ, project=False, path=OrganizationPath, query=PageQuery,
           responses={200: MemberPage}, description=_DOC)
async def members(request: web.Request, inp: Input[OrganizationPath, PageQuery, None]) -> web.Response:
    return await _list(request, inp, list_users, 0, _member)


@operation("The organization's roles", scope=READ, project=False, path=OrganizationPath, query=PageQuery,
           responses={200: RolePage}, description=_DOC)
async def roles(request: web.Request, inp: Input[OrganizationPath, PageQuery, None]) -> web.Response:
    return await _list(request, inp, list_roles, 1, _role)
