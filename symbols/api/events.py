"""Events: ``GET .../events/`` (JSON or ``format=csv``) and ``GET .../events/{id}/``,
under ``/api/projects/{id}/`` and ``/api/environments/{id}/``, scope ``query:read``.

The parameters and paging are ``errortracking.events``'; this module reads the request,
shapes the answer (PostHog's event object, or ``columns``/``results`` rows with
``select``) and renders CSV: each result flattened to dotted keys
(``properties.$browser``, ``elements.0.tag_name``) under the sorted union of the keys.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web
from multidict import MultiDict
from yarl import URL

from ..errortracking import events as domain
from .auth import QUERY_READ
from .context import context
from .event_models import Event, EventPath, EventQuery, EventsPage, EventsQuery
from .operation import Input, Media, operation
from .parse import json_response
from .serializers import event_json, select_row

_CSV = Media("text/csv", {"type": "string", "description": "A header of sorted dotted keys, "
                                                          "then one row per event."})


@operation(
    "List events", scope=QUERY_READ, query=EventsQuery, responses={200: [EventsPage, _CSV]},
    errors={400: ("invalid_hogql", "invalid_host")}, tags=("events",),
    description="PostHog's events list. `format=csv` answers text/csv (the same results, "
    "flattened). Paging: follow `next`, which never skips or repeats an event.",
)
async def list_events(request: web.Request, inp: Input[None, EventsQuery, None]) -> web.Response:
    ctx = context(request)
    fmt = inp.query.format
    parsed = domain.parse_request(
        inp.project_id, request.query, csv=fmt == "csv", select=inp.query.select, where=inp.query.where,
    )
    page = await domain.list_page(ctx.db, parsed)
    if parsed.select:
        results: list[Any] = [select_row(row, parsed.select) for row in page.rows]
    else:
        results = [event_json(row, page.persons.get(row.distinct_id), parsed.include_person)
                   for row in page.rows]
    if fmt == "csv":
        if parsed.select:
            results = [dict(zip([name for name, _ in parsed.select], r, strict=True)) for r in results]
        return web.Response(body=to_csv(results), content_type="text/csv", charset="utf-8")
    body: dict[str, Any] = {"next": _next_url(request, ctx.base_url(request), page.next_params)}
    if parsed.select:
        body["columns"] = [name for name, _ in parsed.select]
    body["results"] = results
    return json_response(body)


@operation(
    "Retrieve an event", scope=QUERY_READ, path=EventPath, query=EventQuery, responses={200: Event},
    tags=("events",), description="400 `Invalid UUID` for an id that is not one, 404 when the "
    "project has no such event.",
)
async def retrieve(request: web.Request, inp: Input[EventPath, EventQuery, None]) -> web.Response:
    row, person = await domain.get_one(context(request).db, inp.project_id, inp.path.id)
    include = (inp.query.include_person or "").lower() in ("1", "true", "yes")
    return json_response(event_json(row, person, include))


def _next_url(request: web.Request, base_url: str, params: dict[str, str | None] | None) -> str | None:
    if params is None:
        return None
    query = MultiDict((k, v) for k, v in request.query.items() if k not in params)
    query.extend((k, v) for k, v in params.items() if v is not None)
    return str(URL(base_url).with_path(request.path).with_query(query))


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects and lists as dotted keys, as djangorestframework-csv's tablize does."""
    if isinstance(value, dict) and value:
        items = value.items()
    elif isinstance(value, list) and value:
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix: value} if prefix else {}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _cell(value: Any) -> Any:
    if value is None or value == {} or value == []:
        return ""
    if value is True or value is False:
        return "True" if value else "False"
    return value


def to_csv(results: list[dict[str, Any]]) -> bytes:
    rows = [flatten(r) for r in results]
    header = sorted({key for row in rows for key in row})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in header])
    return out.getvalue().encode()
