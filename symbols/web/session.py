"""Who is looking: the signed-in key kept in an encrypted session cookie, and CSRF.

The cookie (aiohttp-session's ``EncryptedCookieStorage``, a Fernet key derived from the
service's secret) holds the key's SHA-256, never the secret; every page looks the key up
again, so a revoked key is signed out at once. Every POST to a page carries the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import Session, get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from ..db.access import (
    SCOPE_READ,
    SCOPE_WRITE,
    ApiKey,
    Project,
    find_api_key_by_hash,
    list_projects,
)
from ..db.engine import Database

COOKIE = "symbols_session"
SESSION_SECONDS = 7 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
WEB_ROUTE = "web:"  # route names of pages start with this; only they get CSRF checks


def session_storage(secret: bytes) -> EncryptedCookieStorage:
    fernet_key = hashlib.sha256(b"symbols web session\0" + secret).digest()  # raw 32 bytes
    return EncryptedCookieStorage(
        fernet_key,
        cookie_name=COOKIE,
        max_age=SESSION_SECONDS,
        secure=True,
        httponly=True,
        samesite="Lax",
    )


def csrf_token(session: Session) -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


class CsrfFailed(Exception):
    pass


@web.middleware
async def csrf(request: web.Request, handler) -> web.StreamResponse:
    name = request.match_info.route.name or ""
    if request.method not in ("GET", "HEAD", "OPTIONS") and name.startswith(WEB_ROUTE):
        session = await get_session(request)
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            sent = (await request.post()).get(CSRF_FIELD)
        expected = session.get(CSRF_FIELD)
        if not (isinstance(sent, str) and isinstance(expected, str) and hmac.compare_digest(sent, expected)):
            raise CsrfFailed()
    return await handler(request)


@dataclass(frozen=True)
class Viewer:
    """A signed-in key and the projects it may see (never any other)."""

    key: ApiKey
    projects: list[Project]

    @property
    def can_write(self) -> bool:
        return SCOPE_WRITE in self.key.scopes

    def project(self, project_id: int) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)


async def viewer(request: web.Request, db: Database) -> Viewer | None:
    """The signed-in key, or None (never signed in, signed out, revoked, or no read scope)."""
    session = await get_session(request)
    key_hash = session.get("key_hash")
    if not isinstance(key_hash, str):
        return None
    async with db.connect() as conn:
        key = await find_api_key_by_hash(conn, key_hash)
        projects = await list_projects(conn) if key is not None else []
    if key is None or not (key.scopes & {SCOPE_READ, SCOPE_WRITE}):
        session.pop("key_hash", None)
        return None
    return Viewer(key, [p for p in projects if p.id in key.project_ids])


async def sign_in(request: web.Request, key_hash: str) -> None:
    session = await get_session(request)
    session.clear()  # a fresh CSRF token for the signed-in session
    session["key_hash"] = key_hash
    csrf_token(session)
    session.changed()


async def sign_out(request: web.Request) -> None:
    (await get_session(request)).invalidate()
