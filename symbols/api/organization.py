"""The organization's members and roles, read-only: who an issue can be assigned to.

PostHog serves them per organization (``/api/organizations/{id}/members/`` and
``.../roles/``); this service has one organization, reached as ``@current``. Any key with
``error_tracking:read`` may list them (users and roles are not per project).
"""

from __future__ import annotations

from aiohttp import web

from ..db.users import Role, User, count_people, list_roles, list_users
from .auth import READ, authenticate
from .context import context
from .errors import NotFound
from .parse import json_response, page_params, paginated

ORGANIZATION = "@current"


async def _list(request: web.Request, fetch, which: int, shape) -> web.Response:
    """A page of ``fetch``'s rows; ``which`` picks the users' or the roles' count."""
    await authenticate(request, READ)
    if request.match_info.get("organization_id") != ORGANIZATION:
        raise NotFound()
    ctx = context(request)
    limit, offset = page_params(request)
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


async def members(request: web.Request) -> web.Response:
    return await _list(request, list_users, 0, _member)


async def roles(request: web.Request) -> web.Response:
    return await _list(request, list_roles, 1, _role)
