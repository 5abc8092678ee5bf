"""Personal API keys: ``Authorization: Bearer <key>``, scopes, and project binding.

Order of checks: no or unknown key 401, missing scope 403, a project the key is not
bound to (or that does not exist) 404 with the same body either way. A write scope
also grants reads.
"""

from __future__ import annotations

from aiohttp import web

from ..db.access import (
    SCOPE_QUERY_READ,
    SCOPE_READ,
    SCOPE_WRITE,
    ApiKey,
    find_api_key,
    needs_last_used_refresh,
    touch_api_key,
)
from ..db.types import parse_project_id
from .context import context
from .errors import NotAuthenticated, NotFound, PermissionDenied

READ = SCOPE_READ
WRITE = SCOPE_WRITE
QUERY_READ = SCOPE_QUERY_READ
_MAX_KEY_LENGTH = 256


def _secret(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise NotAuthenticated("not_authenticated", "Authentication credentials were not provided.")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > _MAX_KEY_LENGTH:
        raise NotAuthenticated("authentication_failed", "Invalid API key.")
    return secret


async def _checked_key(request: web.Request, scope: str) -> ApiKey:
    secret = _secret(request)
    async with context(request).db.connect() as conn:
        key = await find_api_key(conn, secret)
    if key is None:
        raise NotAuthenticated("authentication_failed", "Invalid API key.")
    if scope not in key.scopes and not (scope == READ and WRITE in key.scopes):
        raise PermissionDenied("permission_denied", f"API key is missing the required scope '{scope}'.")
    return key


async def _used(request: web.Request, key: ApiKey) -> None:
    if needs_last_used_refresh(key):
        async with context(request).db.begin() as conn:
            await touch_api_key(conn, key.id)


async def authorize(request: web.Request, scope: str) -> int:
    """The project id of the request's path, once the key may use it with ``scope``."""
    key = await _checked_key(request, scope)
    project_id = parse_project_id(request.match_info.get("project_id", ""))
    if project_id is None or project_id not in key.project_ids:
        raise NotFound()
    await _used(request, key)
    return project_id


async def authenticate(request: web.Request, scope: str) -> None:
    """For routes outside any project (the organization's members and roles): a valid key
    with ``scope``."""
    await _used(request, await _checked_key(request, scope))
