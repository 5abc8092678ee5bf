"""Reading JSON bodies (bounded), writing JSON responses, and pages of lists.
Request fields are validated by the route's models (``operation.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from ..db.types import parse_uuid
from .errors import NotFound, ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_UTC_Z), status=status, content_type="application/json"
    )


async def json_body(request: web.Request) -> dict:
    """The request's JSON object (size bounded by the app's client_max_size -> 413)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError("parse_error", f"JSON parse error: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError("invalid_input", "The request body must be a JSON object.")
    return data


def paginated(request: web.Request, base_url: str, results: list, count: int, limit: int, offset: int) -> dict:
    """A list body with absolute ``next``/``previous`` URLs keeping the other parameters."""
    url = URL(base_url).with_path(request.path).with_query(request.query)

    def page(new_offset: int) -> str:
        query = {k: v for k, v in url.query.items() if k not in ("limit", "offset")}
        query["limit"] = str(limit)
        if new_offset > 0:
            query["offset"] = str(new_offset)
        return str(url.with_query(query))

    return {
        "count": count,
        "next": page(offset + limit) if offset + limit < count else None,
        "previous": page(max(offset - limit, 0)) if offset > 0 else None,
        "results": results,
    }


def page_params(request: web.Request) -> tuple[int, int]:
    """``limit`` and ``offset`` for handlers not yet declared with ``@operation`` (whose
    ``PageQuery.page()`` does the same); goes once the rules routes are declared."""
    values = []
    for name, default in (("limit", 0), ("offset", 0)):
        raw = request.query.get(name) or str(default)
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
            raise ValidationError("invalid_input", f"{name} must be a non-negative integer.", name)
        values.append(int(raw))
    return min(values[0] or DEFAULT_LIMIT, MAX_LIMIT), values[1]


def path_uuid(request: web.Request, name: str = "id") -> str:
    """A UUID from the path, else the 404 of an unknown id (for handlers not yet declared
    with ``@operation``, whose ``IdPath`` does the same); goes with ``page_params``."""
    value = parse_uuid(request.match_info.get(name))
    if value is None:
        raise NotFound()
    return value
