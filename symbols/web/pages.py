"""What every page shares: rendering with the layout's values, HTML error pages, and the
access rule (signed in, read or write scope, and the project is one of the key's)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from ..db.access import Project
from ..db.types import parse_project_id
from .context import WebContext, web_context
from .session import CsrfFailed, Viewer, csrf_token, viewer

# The navigation: (route name, label).
NAV = (
    ("web:issues", "Issues"),
    ("web:symbol_sets", "Symbol sets"),
    ("web:resolve", "Resolve a trace"),
)


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def not_found() -> PageError:
    # The same page for a missing project and one the key may not see.
    return PageError(404, "Not found", "There is nothing here, or your key may not see it.")


@dataclass(frozen=True)
class Page:
    """The request's viewer and project, checked."""

    ctx: WebContext
    viewer: Viewer
    project: Project


async def render(request: web.Request, template: str, values: dict, *, status: int = 200) -> web.Response:
    session = await get_session(request)
    base = {
        "request": request,
        "current": request.match_info.route.name,
        "csrf_token": csrf_token(session),
        "nav": NAV,
        "viewer": None,
        "project": None,
    }
    response = aiohttp_jinja2.render_template(template, request, base | values, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def page(request: web.Request, *, write: bool = False) -> Page:
    """Sign-in redirect when nobody is signed in; 404 for another key's project."""
    ctx = web_context(request)
    who = await viewer(request, ctx.db)
    if who is None:
        raise web.HTTPSeeOther(request.app.router["web:sign_in"].url_for().with_query(next=request.path))
    project = who.project(parse_project_id(request.match_info.get("project_id", "")) or 0)
    if project is None:
        raise not_found()
    if write and not who.can_write:
        raise PageError(403, "Read-only key", "Your key has the read scope only; changing needs "
                        "error_tracking:write.")
    return Page(ctx, who, project)


@web.middleware
async def page_errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PageError as exc:
        return await render(request, "error.html", {"title": exc.title, "message": exc.message},
                            status=exc.status)
    except CsrfFailed:
        return await render(request, "error.html", {
            "title": "Form expired",
            "message": "This form was not sent from a page of this session. Go back, reload "
                       "the page and try again.",
        }, status=403)
