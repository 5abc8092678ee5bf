"""Sign in with a personal API key, sign out, and ``/`` (the first project's sets)."""

from __future__ import annotations

from aiohttp import web

from ..db.access import SCOPE_READ, SCOPE_WRITE, find_api_key, hash_secret
from . import session
from .context import web_context
from .pages import render

_MAX_KEY = 256


def _next_path(raw: str | None) -> str | None:
    """Only a path of this site: never another host (``//evil``) or a scheme."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and len(raw) < 1000:
        return raw
    return None


async def index(request: web.Request) -> web.Response:
    who = await session.viewer(request, web_context(request).db)
    if who is None:
        raise web.HTTPSeeOther(request.app.router["web:sign_in"].url_for())
    if not who.projects:
        return await render(request, "error.html", {
            "viewer": who, "title": "No projects",
            "message": "Your key is not bound to any project. Ask for a key of your project "
                       "(symbols keys create --project ID).",
        })
    wanted = request.query.get("project", "")
    first = next((p.id for p in who.projects if str(p.id) == wanted), who.projects[0].id)
    raise web.HTTPSeeOther(request.app.router["web:issues"].url_for(project_id=str(first)))


async def sign_in_form(request: web.Request) -> web.Response:
    return await render(request, "sign_in.html", {"next": _next_path(request.query.get("next")), "error": None})


async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    secret = str(form.get("key", "")).strip()
    next_path = _next_path(str(form.get("next", "")))
    key = None
    if secret and len(secret) <= _MAX_KEY:
        async with web_context(request).db.connect() as conn:
            key = await find_api_key(conn, secret)
    if key is None or not (key.scopes & {SCOPE_READ, SCOPE_WRITE}):
        error = ("This key is not valid (unknown or revoked)." if key is None
                 else "This key has neither the error_tracking:read nor the error_tracking:write scope.")
        return await render(request, "sign_in.html", {"next": next_path, "error": error}, status=401)
    await session.sign_in(request, hash_secret(secret))
    raise web.HTTPSeeOther(next_path or "/")


async def sign_out(request: web.Request) -> web.Response:
    await session.sign_out(request)
    raise web.HTTPSeeOther(request.app.router["web:sign_in"].url_for())
