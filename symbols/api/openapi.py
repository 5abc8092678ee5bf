"""The OpenAPI 3.1 document, written from the routes the application registers and the
``@operation`` declarations of their handlers (a route without one is an error)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..db.access import SCOPE_READ, SCOPE_WRITE
from .models import Error, PageQuery
from .operation import Media, Operation, field_codes, operation_of

TITLE = "symbols"
VERSION = "1"
_REF = "#/components/schemas/{model}"
_SKIP_METHODS = {"HEAD", "OPTIONS"}
# The pages for people (symbols.web) name their routes "web:..."; they are not the API.
_PAGES = "web:"
_ERROR_TYPES = {
    400: "validation_error",
    401: "authentication_error",
    403: "authentication_error",
    404: "invalid_request",
    405: "invalid_request",
    408: "invalid_request",
    409: "invalid_request",
    413: "invalid_request",
    429: "throttled_error",
    502: "server_error",
    503: "server_error",
}
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    308: "Moved: the answer names where",
    400: "The request breaks the documented schema or a rule",
    401: "No API key, or an unknown one",
    403: "The API key lacks the scope",
    404: "Not found (an unknown id, or a project the key may not use)",
    405: "Not allowed",
    408: "The request's head or body did not arrive in time (SYMBOLS_READ_TIMEOUT_SECONDS)",
    409: "A concurrent request changed the same data; try again",
    413: "The request is too large",
    429: "An upstream service (an integration's provider) rate-limited the request; see Retry-After",
    502: "An upstream service (an integration's provider) failed or could not be reached",
    503: "The database or the blob store is unavailable, or the service has too many open connections; "
         "try again later",
}
_DESCRIPTION = """\
A self-hostable error tracker for JavaScript, compatible with PostHog's error-tracking API.

Every project route is served under both `/api/projects/{project_id}/` and
`/api/environments/{project_id}/`, with or without its trailing slash.

**Authentication**: a personal API key, `Authorization: Bearer <key>`. Each operation names
the scope it needs (`x-scopes`); `error_tracking:write` also grants reads. Checks run in
this order: no or unknown key 401, missing scope 403, a project the key is not bound to (or
that does not exist) 404, exactly like a missing project.

**Errors**: every error has the body `{"type", "code", "detail", "attr"}`; each response
lists its possible `code` values.

**Pagination**: list routes take `limit` (default 100, capped at 1000) and `offset` and
answer `{"count", "next", "previous", "results"}` with absolute `next`/`previous` URLs.
"""

# Errors any request may meet, by what the operation declares.
_DB_ERRORS = {503: ("database_unavailable", "storage_unavailable", "io_error")}
# Answered by the connection guard (api/guard.py) on any route.
_CONNECTION_ERRORS = {408: ("request_timeout",), 503: ("too_many_connections",)}
# Pages link to the next one, built from the Host header without SYMBOLS_PUBLIC_URL.
_LINK_ERRORS = {400: ("invalid_host",)}
_AUTH_ERRORS = {
    401: ("not_authenticated", "authentication_failed"),
    403: ("permission_denied",),
    404: ("not_found",),
}
_INPUT_ERRORS = {400: ("invalid_input", "required", "invalid_choice")}
_BODY_ERRORS = {400: ("parse_error",), 413: ("request_too_large",)}


def _models(ops: list[Operation]) -> list[tuple[type[BaseModel], str]]:
    found: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for op in ops:
        for model in (op.body, op.form):
            if model is not None:
                found[(model, "validation")] = None
        for value in op.responses.values():
            for item in value if isinstance(value, list) else [value]:
                model = item.schema if isinstance(item, Media) else item
                if isinstance(model, type) and issubclass(model, BaseModel):
                    found[(model, "serialization")] = None
    return list(found)


def _parameters(model: type[BaseModel] | None, where: str, schemas: dict) -> list[dict]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=_REF, mode="validation")
    schemas.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": where, "required": where == "path" or name in required, "schema": prop}
        if description:
            param["description"] = description
        if prop.get("type") == "array":
            param["explode"] = True
        params.append(param)
    return params


def _error_response(status: int, codes: tuple[str, ...]) -> dict:
    schema = {
        "allOf": [{"$ref": _REF.format(model="Error")}],
        "properties": {"type": {"const": _ERROR_TYPES[status]}, "code": {"enum": sorted(set(codes))}},
    }
    return {"description": _REASONS[status], "content": {"application/json": {"schema": schema}}}


def _errors(op: Operation) -> dict[int, tuple[str, ...]]:
    errors: dict[int, tuple[str, ...]] = {}

    def add(more: dict[int, tuple[str, ...]]) -> None:
        for status, codes in more.items():
            errors[status] = errors.get(status, ()) + codes

    add(_DB_ERRORS)
    add(_CONNECTION_ERRORS)
    if op.scope is not None:
        add(_AUTH_ERRORS)
    if op.path is not None:
        add({404: ("not_found",)})
    for model in (op.query, op.body, op.form):
        if model is not None:
            add(_INPUT_ERRORS)
            add({400: tuple(field_codes(model).values())})
    if op.body is not None or op.form is not None:
        add(_BODY_ERRORS)
    if op.query is not None and issubclass(op.query, PageQuery):
        add(_LINK_ERRORS)
    if op.project is False:
        add({404: ("not_found",)})
    if op.scope == SCOPE_WRITE:
        add({409: ("conflict",)})
    add(op.errors)
    return errors


def _schema(schema: Any, names: dict) -> dict:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return names[(schema, "serialization")]
    return schema


def _responses(op: Operation, names: dict) -> dict:
    out: dict[str, Any] = {}
    for status, value in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": _REASONS.get(status, "OK")}
        if isinstance(value, (Media, list)):
            # A list: several media types (a model in it is its JSON).
            media = value if isinstance(value, list) else [value]
            response["content"] = {
                m.media_type if isinstance(m, Media) else "application/json":
                {"schema": _schema(m.schema, names) if isinstance(m, Media) else names[(m, "serialization")]}
                for m in media
            }
        elif value is not None:
            response["content"] = {"application/json": {"schema": names[(value, "serialization")]}}
        out[str(status)] = response
    for status, codes in sorted(_errors(op).items()):
        out.setdefault(str(status), _error_response(status, codes))
    return out


def _operation_id(route_path: str, method: str, handler: Any, op: Operation, shared: bool) -> str:
    base = re.match(r"^/api/(projects|environments)/", route_path)
    module = op.tags[0] if op.tags else handler.__module__.rsplit(".", 1)[-1]
    parts = [base.group(1)] if base else []
    parts += [module, handler.__name__] + ([method.lower()] if shared else [])
    return "_".join(parts)


def _routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(path, method, handler) of every API route; a path without its trailing slash is an
    alias of the one with it and is not listed again."""
    routes = []
    api = [r for r in app.router.routes() if r.resource is not None and not (r.resource.name or "").startswith(_PAGES)]
    paths = {r.resource.canonical for r in api}
    for route in api:
        path = route.resource.canonical
        if route.method in _SKIP_METHODS or route.method == "*":
            continue
        if not path.endswith("/") and path + "/" in paths:
            continue
        routes.append((path, route.method, route.handler))
    return routes


def _unique_ids(paths: dict[str, dict]) -> None:
    """One handler on several paths (capture's): each id gets its path."""
    entries = [(path, entry) for path, item in paths.items() for entry in item.values()]
    counts: dict[str, int] = {}
    for _, entry in entries:
        counts[entry["operationId"]] = counts.get(entry["operationId"], 0) + 1
    for path, entry in entries:
        if counts[entry["operationId"]] > 1:
            entry["operationId"] += "_" + (re.sub(r"\W+", "_", path).strip("_") or "root")


class UndocumentedRoute(Exception):
    pass


def build_document(app: web.Application, server_url: str | None = None) -> dict:
    routes = _routes(app)
    ops = []
    for path, method, handler in routes:
        op = operation_of(handler)
        if op is None:
            raise UndocumentedRoute(f"{method} {path}: the handler {handler.__qualname__} has no @operation")
        ops.append(op)
    names, defs = models_json_schema(_models(ops), ref_template=_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    handler_methods: dict[Any, set[str]] = {}
    for _, method, handler in routes:
        handler_methods.setdefault(handler, set()).add(method)
    paths: dict[str, dict] = {}
    for (path, method, handler), op in zip(routes, ops):
        item = paths.setdefault(path, {})
        entry: dict[str, Any] = {
            "operationId": _operation_id(path, method, handler, op, len(handler_methods[handler]) > 1),
            "summary": op.summary,
            "tags": list(op.tags) or [handler.__module__.rsplit(".", 1)[-1]],
        }
        if op.description:
            entry["description"] = op.description
        params = _parameters(op.path, "path", schemas) + _parameters(op.query, "query", schemas)
        documented = {p["name"] for p in params if p["in"] == "path"}
        for name in re.findall(r"{(\w+)}", path):
            if name not in documented:
                schema = {"type": "integer"} if name == "project_id" else {"type": "string"}
                params.insert(0, {"name": name, "in": "path", "required": True, "schema": schema})
        if params:
            entry["parameters"] = params
        if op.body is not None:
            # An empty body reads as {}: required only when a field is.
            required = any(f.is_required() for f in op.body.model_fields.values())
            entry["requestBody"] = {
                "required": required,
                "content": {"application/json": {"schema": names[(op.body, "validation")]}},
            }
        if op.form is not None:
            form = {"multipart/form-data": {"schema": names[(op.form, "validation")]}}
            # A route may take its JSON body or a form (PATCH symbol_sets/{id}/).
            entry["requestBody"] = {
                "required": True,
                "content": {**entry.get("requestBody", {}).get("content", {}), **form},
            }
        if op.request_media:
            entry["requestBody"] = {"content": {m.media_type: {"schema": m.schema} for m in op.request_media}}
        if op.scope is None:
            entry["security"] = []
        else:
            entry["security"] = [{"PersonalAPIKey": [op.scope]}]
            entry["x-scopes"] = [op.scope]
        entry["responses"] = _responses(op, names)
        item[method.lower()] = entry
    _unique_ids(paths)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": _DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "PersonalAPIKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API key with scopes, bound to projects "
                    f"(`symbols keys create`). Scopes: `{SCOPE_READ}`, `{SCOPE_WRITE}` (grants reads too).",
                }
            },
        },
        "security": [{"PersonalAPIKey": []}],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
