"""PostHog's capture endpoints: ``/i/v0/e/``, ``/e/``, ``/batch/``, ``/capture/``,
``/track/`` (trailing slash optional), POST and GET (``?data=``), and their CORS preflight.

The body is read here with its own cap, as PostHog's capture does: ``BATCH_BODY_BYTES``
(20 MiB) on ``/batch/``, ``EVENT_BODY_BYTES`` (2 MiB) on the other routes, counted after
any ``Content-Encoding`` is undone (413 past it). ``errortracking.capture`` decodes it
(its own limits: events per request, bytes per event, decoded size), ``Ingest`` finds the
project by token and makes the events durable on the stream, then the answer is 200
``{"status": "Ok"}`` (204 with ``?beacon=1``). Refusals use the error body
``{type, code, detail, attr}``: 400 undecodable, 401 token, 413 size, 503 when the
stream cannot make the events durable (the SDKs retry).

CORS, on these routes only: browsers post from the site's origin, so the origin is
echoed with credentials allowed, and preflights are answered (methods GET, POST,
OPTIONS; the requested headers mirrored), as PostHog's capture does.
"""

from __future__ import annotations

import asyncio
from typing import Literal
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, Field

from ..db import DatabaseUnavailable
from ..errortracking.capture import CaptureBatch, CaptureError, decode_capture
from ..errortracking.stream import StreamUnavailable
from .context import context
from .errors import ApiError, ServiceUnavailable, from_capture
from .operation import Input, Media, operation
from .parse import json_response

PATHS = ("/i/v0/e/", "/e/", "/batch/", "/capture/", "/track/")
EVENT_BODY_BYTES = 2 * 1024 * 1024
BATCH_BODY_BYTES = 20 * 1024 * 1024
# Bodies larger than this are decoded in a thread, so one big batch does not stall the loop.
_INLINE_DECODE_BYTES = 256 * 1024
_FORM = "application/x-www-form-urlencoded"


def _cap(request: web.Request) -> int:
    return BATCH_BODY_BYTES if request.path.rstrip("/") == "/batch" else EVENT_BODY_BYTES


async def _read_body(request: web.Request) -> bytes:
    """The body, at most ``_cap`` bytes (413 past it, before reading when it says so)."""
    cap = _cap(request)
    if request.content_length is not None and request.content_length > cap:
        raise CaptureError(413, "payload_too_large", f"the body passes {cap} bytes")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise CaptureError(413, "payload_too_large", f"the body passes {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _get_payload(request: web.Request) -> tuple[bytes, str]:
    """A GET carries its payload in ``?data=`` (and ``compression``), as a form would."""
    if "data" not in request.query:
        raise CaptureError.bad("invalid_payload", "a GET capture needs a data parameter")
    fields = {k: request.query[k] for k in ("data", "compression") if k in request.query}
    return urlencode(fields).encode(), _FORM


async def _decode(request: web.Request, body: bytes, content_type: str | None) -> CaptureBatch:
    query = {k: request.query[k] for k in ("compression", "_") if k in request.query}
    if len(body) <= _INLINE_DECODE_BYTES:
        return decode_capture(body, content_type, query, request.path)
    return await asyncio.to_thread(decode_capture, body, content_type, query, request.path)


class CaptureQuery(BaseModel):
    compression: str | None = Field(None, description="gzip-js, lz64 or base64 (as posthog-js sends).")
    beacon: str | None = Field(None, description="1: answer 204 (navigator.sendBeacon).")
    ver: str | None = Field(None, description="The SDK's version (ignored).")


class CaptureGetQuery(CaptureQuery):
    data: str | None = Field(None, description="The payload, as a form's data field carries it (required).")


class Accepted(BaseModel):
    status: Literal["Ok"]


_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "examples": ["$exception"]},
        "distinct_id": {"type": ["string", "integer"]},
        "properties": {"type": "object", "description": "`$exception_list` and the rest."},
        "uuid": {"type": "string", "format": "uuid"},
        "timestamp": {"type": "string"},
        "api_key": {"type": "string", "description": "The project token (or `token`, or in properties)."},
    },
    "required": ["event"],
}
_BATCH = {
    "anyOf": [
        _EVENT,
        {"type": "array", "items": _EVENT},
        {
            "type": "object",
            "properties": {"api_key": {"type": "string"}, "batch": {"type": "array", "items": _EVENT}},
            "required": ["batch"],
        },
    ],
    "description": "An event, a list, or `{api_key, batch}`; the project's token authenticates it.",
}
_BODIES = [
    Media("application/json", _BATCH),
    Media(_FORM, {"type": "object", "properties": {"data": {"type": "string"}, "compression": {"type": "string"}}}),
    Media("text/plain", {"type": "string", "description": "JSON, or base64/lz64/gzip per ?compression="}),
]
_CAPTURE = {
    "scope": None, "tags": ("capture",), "responses": {200: Accepted, 204: None},
    "errors": {
        400: ("invalid_payload", "empty_batch", "empty_distinct_id", "invalid_uuid", "missing_distinct_id",
              "missing_event_name"),
        401: ("invalid_token", "no_token", "multiple_tokens"),
        413: ("payload_too_large", "event_too_big"),
        503: ("stream_unavailable",),
    },
    "description": "PostHog's capture: the body's project token (`api_key`/`token`) authenticates it, no API "
    "key. 200 once the events are durable; CORS for browsers (the Origin is echoed, preflights answered).",
}


@operation("Capture events (PostHog SDKs)", query=CaptureQuery, request_media=_BODIES, **_CAPTURE)
async def capture(request: web.Request, inp: Input[None, CaptureQuery, None]) -> web.Response:
    return await _capture(request)


@operation("Capture events sent in ?data= (GET)", query=CaptureGetQuery, **_CAPTURE)
async def capture_get(request: web.Request, inp: Input[None, CaptureGetQuery, None]) -> web.Response:
    return await _capture(request)


async def _capture(request: web.Request) -> web.Response:
    ctx = context(request)
    size, events, event_outcome = 0, 0, "refused"
    try:
        if request.method == "GET":
            body, content_type = _get_payload(request)
        else:
            body, content_type = await _read_body(request), request.content_type
        size = len(body)
        batch = await _decode(request, body, content_type)
        events = len(batch.events)
        await ctx.ingest.accept(batch)
        ctx.metrics.captured("ok", size, events, "accepted")
        if request.query.get("beacon") == "1":
            return _with_cors(request, web.Response(status=204))
        return _with_cors(request, json_response({"status": "Ok"}))
    except CaptureError as exc:
        error: ApiError = from_capture(exc.status, exc.code, exc.detail)
    except (StreamUnavailable, DatabaseUnavailable):
        error = ServiceUnavailable("stream_unavailable", "The events could not be stored; retry later.")
        event_outcome = "unavailable"
    ctx.metrics.captured(error.code, size, events, event_outcome)
    return _with_cors(request, json_response(error.body(), error.status))


async def preflight(request: web.Request) -> web.Response:
    response = web.Response(status=200)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    asked = request.headers.get("Access-Control-Request-Headers")
    if asked:
        response.headers["Access-Control-Allow-Headers"] = asked
    return _with_cors(request, response)


def _with_cors(request: web.Request, response: web.Response) -> web.Response:
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Vary"] = "Origin"
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    for path in PATHS:
        for variant in (path, path.rstrip("/")):
            router.add_route("POST", variant, capture)
            router.add_route("GET", variant, capture_get)
            router.add_route("OPTIONS", variant, preflight)
