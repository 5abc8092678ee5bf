"""Pages for people, served at ``/`` by the service itself: sign in with a personal API
key, issues, symbol sets, resolve a trace. Server-rendered (Jinja2), enhanced with htmx and one
small script for drag-and-drop uploads; no build step."""

from __future__ import annotations

import warnings
from datetime import datetime
from functools import partial
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from markupsafe import Markup, escape

from ..config import Settings
from ..db import Database
from ..resolve import Resolver
from ..signing import Signer
from ..storage import BlobStore
from ..symbol_sets.links import Links
from . import issues, resolve, sign_in, symbol_sets
from .context import WEB, WebContext
from .pages import page_errors
from .session import WEB_ROUTE, csrf, session_storage

_HERE = Path(__file__).parent

_ROUTES = [
    ("GET", "/", sign_in.index, "index"),
    ("GET", "/sign-in", sign_in.sign_in_form, "sign_in"),
    ("POST", "/sign-in", sign_in.sign_in, "sign_in_post"),
    ("POST", "/sign-out", sign_in.sign_out, "sign_out"),
    ("GET", "/projects/{project_id}/symbol-sets", symbol_sets.list_page, "symbol_sets"),
    ("POST", "/projects/{project_id}/symbol-sets/upload/start", symbol_sets.upload_start, "upload_start"),
    ("POST", "/projects/{project_id}/symbol-sets/upload/finish", symbol_sets.upload_finish,
     "upload_finish"),
    ("GET", "/projects/{project_id}/symbol-sets/{set_id}", symbol_sets.detail_page, "symbol_set"),
    ("GET", "/projects/{project_id}/symbol-sets/{set_id}/download", symbol_sets.download, "download"),
    ("GET", "/projects/{project_id}/symbol-sets/{set_id}/delete", symbol_sets.delete_form, "delete"),
    ("POST", "/projects/{project_id}/symbol-sets/{set_id}/delete", symbol_sets.delete, "delete_post"),
    ("GET", "/projects/{project_id}/issues", issues.list_page, "issues"),
    ("GET", "/projects/{project_id}/issues/{issue_id}", issues.detail_page, "issue"),
    ("POST", "/projects/{project_id}/issues/{issue_id}/status", issues.change_status, "issue_status"),
    ("POST", "/projects/{project_id}/issues/{issue_id}/assignee", issues.change_assignee, "issue_assignee"),
    ("GET", "/projects/{project_id}/resolve", resolve.resolve_page, "resolve"),
    ("POST", "/projects/{project_id}/resolve", resolve.resolve_page, "resolve_post"),
]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _code_spans(text: str) -> Markup:
    """Escaped ``text`` with each `backticked` span shown as code (the words name commands)."""
    parts = str(escape(text)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return escape(text)
    return Markup("".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)))


def _pages_only(*middlewares):
    """The pages' middlewares (outermost first) as one that runs them for pages only: API
    requests skip the session cookie and the CSRF check."""

    @web.middleware
    async def pages(request: web.Request, handler):
        if (request.match_info.route.name or "").startswith(WEB_ROUTE):
            for middleware in reversed(middlewares):
                handler = partial(middleware, handler=handler)
        return await handler(request)

    return pages


def setup_web(
    app: web.Application,
    *,
    settings: Settings,
    db: Database,
    store: BlobStore,
    resolver: Resolver,
    signer: Signer,
    secret: bytes,
) -> None:
    """Templates, the session cookie (keyed from ``secret``), CSRF checks and the pages."""
    app[WEB] = WebContext(settings, db, store, resolver, Links(settings, store, signer))
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["code_spans"] = _code_spans
    # aiohttp-session 2.12 (the newest) keeps its values under str request keys.
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")
    # Outermost first: the session is saved even on error pages; CSRF failures become one.
    app.middlewares.append(_pages_only(session_middleware(session_storage(secret)), page_errors, csrf))
    for method, path, handler, name in _ROUTES:
        app.router.add_route(method, path, handler, name=WEB_ROUTE + name)
    app.router.add_static("/static/", _HERE / "static", name="web:static", append_version=True)


__all__ = ["setup_web"]
