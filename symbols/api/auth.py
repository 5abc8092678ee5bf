"""Personal API keys: ``Authorization: Bearer <key>``, scopes, and project binding.

Order of checks: no or unknown key 401, missing scope 403, a project the key is not
bound to (or that does not exist) 404 with the same body either way. A write scope
also grants reads.

Each process keeps the keys it found (with their scopes and projects) for
``SYMBOLS_API_KEY_CACHE_SECONDS`` (``KeyCache``), so a request asks the database nothing
about its key: a key revoked (or changed) elsewhere keeps working for up to that long.
Unknown keys are not kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from ..db.access import (
    SCOPE_QUERY_READ,
    SCOPE_READ,
    SCOPE_WRITE,
    ApiKey,
    find_api_key_by_hash,
    hash_secret,
    needs_last_used_refresh,
    touch_api_key,
)
from ..db.types import parse_project_id, utcnow
from .context import context
from .errors import NotAuthenticated, NotFound, PermissionDenied

READ = SCOPE_READ
WRITE = SCOPE_WRITE
QUERY_READ = SCOPE_QUERY_READ
_MAX_KEY_LENGTH = 256
MAX_CACHED_KEYS = 10_000


class KeyCache:
    """``secret hash -> active key`` for ``ttl`` seconds, least recently used dropped first."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()

    def get(self, secret_hash: str) -> ApiKey | None:
        entry = self._entries.get(secret_hash)
        if entry is None or entry[0] <= self.clock():
            return None
        self._entries.move_to_end(secret_hash)
        return entry[1]

    def put(self, secret_hash: str, key: ApiKey) -> None:
        if self.ttl <= 0:
            return
        self._entries[secret_hash] = (self.clock() + self.ttl, key)
        self._entries.move_to_end(secret_hash)
        while len(self._entries) > MAX_CACHED_KEYS:
            self._entries.popitem(last=False)

    def touched(self, secret_hash: str, key: ApiKey) -> None:
        """``key``'s last use was recorded now: keep that, so the next request does not
        record it again (the entry's expiry is unchanged)."""
        entry = self._entries.get(secret_hash)
        if entry is not None and entry[1].id == key.id:
            self._entries[secret_hash] = (entry[0], replace(entry[1], last_used_at=utcnow()))


def _secret(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise NotAuthenticated("not_authenticated", "Authentication credentials were not provided.")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > _MAX_KEY_LENGTH:
        raise NotAuthenticated("authentication_failed", "Invalid API key.")
    return secret


async def _checked_key(request: web.Request, scope: str) -> tuple[str, ApiKey]:
    secret_hash = hash_secret(_secret(request))
    ctx = context(request)
    key = ctx.keys.get(secret_hash)
    if key is None:
        async with ctx.db.connect() as conn:
            key = await find_api_key_by_hash(conn, secret_hash)
        if key is not None:
            ctx.keys.put(secret_hash, key)
    if key is None:
        raise NotAuthenticated("authentication_failed", "Invalid API key.")
    if scope not in key.scopes and not (scope == READ and WRITE in key.scopes):
        raise PermissionDenied("permission_denied", f"API key is missing the required scope '{scope}'.")
    return secret_hash, key


async def _used(request: web.Request, secret_hash: str, key: ApiKey) -> None:
    if needs_last_used_refresh(key):
        ctx = context(request)
        async with ctx.db.begin() as conn:
            await touch_api_key(conn, key.id)
        ctx.keys.touched(secret_hash, key)


async def authorize(request: web.Request, scope: str) -> int:
    """The project id of the request's path, once the key may use it with ``scope``."""
    secret_hash, key = await _checked_key(request, scope)
    project_id = parse_project_id(request.match_info.get("project_id", ""))
    if project_id is None or project_id not in key.project_ids:
        raise NotFound()
    await _used(request, secret_hash, key)
    return project_id


async def authenticate(request: web.Request, scope: str) -> None:
    """For routes outside any project (the organization's members and roles): a valid key
    with ``scope``."""
    await _used(request, *await _checked_key(request, scope))
