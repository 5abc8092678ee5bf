"""Middlewares: request log and metrics (outermost), then the one place where errors
become bodies ``{type, code, detail, attr}``; no input gets a 500 with a stack trace."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from ..db import DatabaseUnavailable, InvalidData, WriteConflict
from ..errors import DomainError
from ..storage import BlobStoreUnavailable, InvalidBlobKey
from .context import context
from .errors import ApiError, Conflict, NotFound, ServiceUnavailable, ValidationError, from_domain
from .parse import json_response

access_log = logging.getLogger("symbols.access")
log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ("validation_error", "invalid_input"),
    401: ("authentication_error", "not_authenticated"),
    403: ("authentication_error", "permission_denied"),
    404: ("invalid_request", "not_found"),
    405: ("invalid_request", "method_not_allowed"),
    413: ("invalid_request", "request_too_large"),
}


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical.replace("/environments/", "/projects/").rstrip("/") or "/"


@web.middleware
async def observe(request: web.Request, handler) -> web.StreamResponse:
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        elapsed = time.perf_counter() - start
        route = _route_label(request)
        context(request).metrics.observe(route, request.method, status, elapsed)
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote": request.remote,
            },
        )


def _from_http(exc: web.HTTPException) -> web.Response:
    type_, code = _HTTP_CODES.get(exc.status, ("invalid_request", "error"))
    detail = exc.reason if exc.status != 413 else "The request body is too large."
    response = json_response({"type": type_, "code": code, "detail": detail, "attr": None}, exc.status)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def _error(err: ApiError) -> web.Response:
    response = json_response(err.body(), err.status)
    response.headers.update(err.headers())
    return response


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc)
    except DomainError as exc:
        return _error(from_domain(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _from_http(exc)
    except InvalidBlobKey:  # a forged or damaged key: nothing is stored there
        return json_response(NotFound().body(), 404)
    except BlobStoreUnavailable as exc:
        log.warning("blob store unavailable: %s", exc)
        err = ServiceUnavailable("storage_unavailable", "The blob store is unavailable; try again later.")
        return json_response(err.body(), err.status)
    except WriteConflict:
        err = Conflict("conflict", "A concurrent request changed the same data; try again.")
        return json_response(err.body(), err.status)
    except InvalidData as exc:
        log.info("input refused by the database on %s %s: %s", request.method, request.path, exc)
        err = ValidationError("invalid_input", "The request holds a value the database cannot store "
                                               "(a NUL byte?).")
        return json_response(err.body(), err.status)
    except DatabaseUnavailable as exc:
        log.warning("database unavailable: %s", exc)
        err = ServiceUnavailable("database_unavailable", "The database is unavailable; try again later.")
        return json_response(err.body(), err.status)
    except OSError as exc:  # local disk (spooling) or a dropped connection
        log.warning("I/O error on %s %s: %s", request.method, request.path, exc)
        err = ServiceUnavailable("io_error", "The request could not be completed; try again later.")
        return json_response(err.body(), err.status)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response(
            {"type": "server_error", "code": "error", "detail": "Internal server error.", "attr": None}, 500
        )
