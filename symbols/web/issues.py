"""Issue pages: the list (status, occurrences, users, first/last seen, a chart of the last
days), one issue (the latest event's resolved stack trace, fingerprints, recent events),
and the status and assignee forms. Reads and changes go through the same domain calls as
the issues API (``errortracking.issues``, ``errortracking.fingerprints``)."""

from __future__ import annotations

from aiohttp import web

from ..db.issue_activity import occurrence_counts, recent_events
from ..db.tables import ISSUE_STATUSES
from ..db.types import parse_uuid, utcnow
from ..db.users import list_roles, list_users
from ..errors import DomainError, Missing
from ..errortracking import fingerprints, issues
from .pages import Page, not_found, page, render
from .sparkline import sparkline
from .stack import exceptions_of, waiting_refs
from .words import STATUS_WORDS

PAGE_SIZE = 25
CHART_DAYS = 14
RECENT_EVENTS = 20
MAX_FINGERPRINTS = 50
MAX_PEOPLE = 500  # users and roles offered as assignees
MAX_SEARCH = 200


def _base(request: web.Request, here: Page) -> dict:
    return {"viewer": here.viewer, "project": here.project, "host": here.ctx.base_url(request),
            "can_write": here.viewer.can_write, "status_words": STATUS_WORDS}


async def list_page(request: web.Request) -> web.Response:
    here = await page(request)
    search = request.query.get("q", "").replace("\x00", "").strip()[:MAX_SEARCH]
    status = request.query.get("status") or None
    status = status if status in ISSUE_STATUSES else None
    number = int(request.query["page"]) if request.query.get("page", "").isdigit() else 1
    number = max(1, min(number, 10_000))
    found, count = await issues.page(
        here.ctx.db, here.project.id, status=status, search=search or None, order_by=None,
        order_direction=None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE,
    )
    async with here.ctx.db.connect() as conn:
        activity = await occurrence_counts(conn, here.project.id, [i.id for i in found], now=utcnow(),
                                           days=CHART_DAYS)
    rows = [{"issue": i, "chart": sparkline(activity.counts[i.id], activity.start, activity.bucket_seconds)}
            for i in found]
    return await render(request, "issues.html", _base(request, here) | {
        "rows": rows, "count": count, "q": search, "status": status or "", "chart_days": CHART_DAYS,
        "statuses": [(s, STATUS_WORDS[s]) for s in ISSUE_STATUSES],
        "page": number, "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number * PAGE_SIZE < count else None,
    })


async def _issue(request: web.Request, here: Page) -> issues.Issue:
    issue_id = parse_uuid(request.match_info.get("issue_id", ""))
    if issue_id is None:
        raise not_found()
    try:
        return await issues.find(here.ctx.db, here.project.id, issue_id)
    except Missing:
        raise not_found() from None


def _event_row(event) -> dict:
    props = event.properties if isinstance(event.properties, dict) else {}
    first = next(iter(props.get("$exception_list") or []), None)
    message = f"{first.get('type') or 'Error'}: {first.get('value') or ''}" if isinstance(first, dict) else ""
    url = props.get("$current_url")
    return {"event": event, "message": message[:300], "url": url[:300] if isinstance(url, str) else None}


async def _assignees(here: Page, issue: issues.Issue) -> tuple[list[dict], str]:
    """The assignee choices (value, label, selected) and the current assignee's name."""
    async with here.ctx.db.connect() as conn:
        people = [(f"user:{u.id}", f"{u.name} <{u.email}>") for u in await list_users(conn, limit=MAX_PEOPLE)]
        people += [(f"role:{r.id}", f"Role: {r.name}") for r in await list_roles(conn, limit=MAX_PEOPLE)]
    current = f"{issue.assignee.type}:{issue.assignee.id}" if issue.assignee else ""
    choices = [{"value": "", "label": "Nobody", "selected": not current}]
    choices += [{"value": v, "label": label, "selected": v == current} for v, label in people]
    name = next((c["label"] for c in choices if c["selected"]), current or "Nobody")
    return choices, name


async def detail_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    here = await page(request)
    issue = await _issue(request, here)
    db, project_id = here.ctx.db, here.project.id
    prints, print_count = await fingerprints.page(db, project_id, issue_id=issue.id, limit=MAX_FINGERPRINTS,
                                                  offset=0)
    async with db.connect() as conn:
        events = await recent_events(conn, project_id, issue.id, limit=RECENT_EVENTS)
    exceptions = await exceptions_of(here.ctx, project_id, events[0].properties) if events else []
    choices, assignee = await _assignees(here, issue)
    return await render(request, "issue.html", _base(request, here) | {
        "issue": issue, "exceptions": exceptions, "waiting": waiting_refs(exceptions),
        "latest": events[0] if events else None, "events": [_event_row(e) for e in events],
        "fingerprints": prints, "fingerprint_count": print_count,
        "writable": [(s, STATUS_WORDS[s]) for s in issues.WRITABLE_STATUSES],
        "assignees": choices, "assignee": assignee, "error": error,
        "changed": request.query.get("changed") if request.method == "GET" else None,
    }, status=status)


def _assignee_body(value: str) -> dict:
    kind, _, raw = value.partition(":")
    return {"assignee": {"type": kind, "id": raw} if value else None}


async def _change(request: web.Request, what: str) -> web.Response:
    here = await page(request, write=True)
    issue = await _issue(request, here)
    form = await request.post()
    value = str(form.get(what, ""))[:100]
    try:
        if what == "status":
            await issues.update(here.ctx.db, here.project.id, issue.id, {"status": value})
        else:
            await issues.assign(here.ctx.db, here.project.id, issue.id, _assignee_body(value))
    except Missing:
        raise not_found() from None
    except DomainError as exc:
        return await detail_page(request, error=exc.detail, status=400)
    url = request.app.router["web:issue"].url_for(project_id=str(here.project.id), issue_id=issue.id)
    raise web.HTTPSeeOther(url.with_query(changed=what))


async def change_status(request: web.Request) -> web.Response:
    return await _change(request, "status")


async def change_assignee(request: web.Request) -> web.Response:
    return await _change(request, "assignee")


__all__ = ["change_assignee", "change_status", "detail_page", "list_page"]
