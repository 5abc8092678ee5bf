"""The organization's members and roles, read-only: who an issue can be assigned to.

PostHog serves them per organization (``/api/organizations/{id}/members/`` and
``.../roles/``); this service has one organization, reached as ``@current``. Any key with
``error_tracking:read`` may list them (users and roles are not per project).
"""

from __future__ import annotations

from aiohttp import web

from ..db.users import count_people, list_roles, list_users
from .auth import READ, authenticate
from .context import context
from .errors import NotFound
from .parse import json_response, page_params, paginated

ORGANIZATION = "@current"


async def _paging(request: web.Request) -> tuple[int, int]:
    await authenticate(request, READ)
    if request.match_info.get("organization_id") != ORGANIZATION:
        raise NotFound()
    return page_params(request)


async def members(request: web.Request) -> web.Response:
    """PostHog's member rows, with what this service knows of a user."""
    limit, offset = await _paging(request)
    ctx = context(request)
    async with ctx.db.connect() as conn:
        count, _ = await count_people(conn)
        found = await list_users(conn, limit=limit, offset=offset)
    results = [
        {
            "user": {"id": u.id, "first_name": u.name, "last_name": "", "email": u.email},
            "joined_at": u.created_at,
        }
        for u in found
    ]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def roles(request: web.Request) -> web.Response:
    limit, offset = await _paging(request)
    ctx = context(request)
    async with ctx.db.connect() as conn:
        _, count = await count_people(conn)
        found = await list_roles(conn, limit=limit, offset=offset)
    results = [{"id": r.id, "name": r.name, "created_at": r.created_at} for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))
