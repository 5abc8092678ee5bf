"""Each route declared once: ``@operation(...)`` on its handler names the scope, the
request models (path, query, JSON body) and the responses per status code.

The same declaration checks every request (the API key first, then the path, the query
and the body) and writes the OpenAPI document (``openapi.py``), so the two cannot drift
apart. A request that breaks a model gets our 400 body: ``code`` from the field's
``Code`` marker or the validator's ``invalid(...)``, else from pydantic's error type;
``attr`` is the dotted location (``frames.3.lineno``). See docs/architecture.md,
"Adding a route".
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, BeforeValidator
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from ..errors import InvalidInput
from .auth import WRITE, authenticate, authorize
from .context import context
from .errors import NotFound, ValidationError
from .parse import json_body

OPERATION = "symbols_operation"

# pydantic's error types with a code of their own; any other is invalid_input.
_CODES = {"missing": "required", "literal_error": "invalid_choice", "enum": "invalid_choice"}

P = TypeVar("P")
Q = TypeVar("Q")
B = TypeVar("B")


@dataclass(frozen=True)
class Code:
    """``Annotated[T, Code("x")]``: every validation error of this field has code ``x``."""

    code: str


def invalid(code: str, detail: str) -> PydanticCustomError:
    """An error with our own ``code``, raised from a model's validator."""
    return PydanticCustomError(code, detail.replace("{", "(").replace("}", ")"), {"symbols_code": code})


def domain_rule(parse: Callable[[Any], Any]) -> BeforeValidator:
    """A validator running a domain parser (``symbols.symbol_sets.params``): the rules stay
    in one place, its ``InvalidInput`` keeps its code."""

    def run(value: Any) -> Any:
        try:
            return parse(value)
        except InvalidInput as exc:
            raise invalid(exc.code, exc.detail) from None

    return BeforeValidator(run)


@dataclass(frozen=True)
class Media:
    """A response (or a body the handler reads) by media type: a JSON schema, or a model."""

    media_type: str
    schema: Any


@dataclass(frozen=True)
class Operation:
    summary: str
    scope: str | None
    path: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    # multipart/form-data read (streamed) by the handler; documented, not validated here.
    form: type[BaseModel] | None = None
    # Other bodies the handler reads itself (capture's); documented, not validated here.
    request_media: tuple[Media, ...] = ()
    # status -> a model, a Media, a list of them (several media types), or None (no body).
    responses: dict[int, Any] = field(default_factory=dict)
    # error codes the handler or the domain raise, beyond the models' and the generic ones.
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)
    description: str | None = None
    tags: tuple[str, ...] = ()
    # False: a route outside any project (the key is checked, not its projects).
    project: bool = True


@dataclass(frozen=True)
class Input(Generic[P, Q, B]):
    """What a handler receives besides the request: all of it validated."""

    project_id: int
    path: P
    query: Q
    body: B


def field_codes(model: type[BaseModel]) -> dict[str, str]:
    """``{field name: code}`` of the ``Code`` markers in ``model`` and its nested models."""
    found: dict[str, str] = {}
    seen: set[type] = set()

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for name, info in tp.model_fields.items():
                for meta in info.metadata:
                    if isinstance(meta, Code):
                        found[name] = meta.code
                walk(info.annotation)
        for arg in typing.get_args(tp):
            walk(arg)

    walk(model)
    return found


def _error(exc: PydanticError, codes: dict[str, str]) -> ValidationError:
    err = exc.errors(include_url=False)[0]
    loc = [str(part) for part in err["loc"]]
    attr = ".".join(loc) or None
    custom = (err.get("ctx") or {}).get("symbols_code")
    message = err["msg"] if custom else f"{err['msg']}."
    detail = f"{attr}: {message}" if attr else message
    if custom:
        return ValidationError(custom, detail, attr)
    code = next((codes[part] for part in reversed(loc) if part in codes), None)
    return ValidationError(code or _CODES.get(err["type"], "invalid_input"), detail, attr)


def _validate(model: type[BaseModel], data: Any, *, strict: bool) -> BaseModel:
    try:
        return model.model_validate(data, strict=strict)
    except PydanticError as exc:
        raise _error(exc, field_codes(model)) from None


def _query(model: type[BaseModel], request: web.Request) -> BaseModel:
    """The first value of each parameter, a list where the field is a list."""
    query = request.query
    data: dict[str, Any] = {}
    for name in set(query):
        info = model.model_fields.get(name)
        is_list = info is not None and typing.get_origin(info.annotation) is list
        data[name] = query.getall(name) if is_list else query.get(name)
    return _validate(model, data, strict=False)


def _path(model: type[BaseModel], request: web.Request) -> BaseModel:
    """Path parameters that break the model are a 404, like an unknown id."""
    try:
        return model.model_validate(dict(request.match_info), strict=False)
    except PydanticError:
        raise NotFound() from None


Handler = Callable[[web.Request, Input], Awaitable[web.StreamResponse]]


def operation(
    summary: str,
    *,
    scope: str | None,
    responses: dict[int, Any],
    path: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    request_media: list[Media] | None = None,
    errors: dict[int, tuple[str, ...]] | None = None,
    description: str | None = None,
    tags: tuple[str, ...] = (),
    project: bool = True,
) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Declare a route's handler: ``scope`` None means no personal API key (its own auth)."""
    op = Operation(
        summary, scope, path, query, body, form, tuple(request_media or ()), responses, errors or {}, description,
        tags, project,
    )

    def decorate(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            project_id = 0
            if scope is not None and project:
                project_id = await authorize(request, scope)
            elif scope is not None:
                await authenticate(request, scope)
            # A route declaring both reads a multipart body itself (its form) and JSON as ``body``.
            streamed = form is not None and request.content_type.startswith("multipart/")
            inp = Input(
                project_id,
                _path(path, request) if path is not None else None,
                _query(query, request) if query is not None else None,
                _validate(body, await json_body(request), strict=True) if body is not None and not streamed
                else None,
            )
            try:
                return await handler(request, inp)
            finally:
                if scope == WRITE and project:
                    # This process's resolution sees at once what a write changed (a set
                    # deleted, edited or uploaded again; a release edited).
                    context(request).resolver.forget_sets(project_id)

        setattr(checked, OPERATION, op)
        return checked

    return decorate


def operation_of(handler: Any) -> Operation | None:
    return getattr(handler, OPERATION, None)
