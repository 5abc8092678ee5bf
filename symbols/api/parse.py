"""Reading JSON bodies (bounded), writing JSON responses, and pages of lists.
Request fields are validated by the route's models (``operation.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from yarl import URL

from .errors import ValidationError

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

