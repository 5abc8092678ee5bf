"""Field types and models shared by the API's routes: identifiers, bounded strings,
pagination, the error body, and the items (releases, symbol sets) as served."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ..db.types import parse_uuid
from ..symbol_sets import params
from .operation import Code, domain_rule, invalid
from .parse import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")

UUID_SCHEMA = {"type": "string", "format": "uuid"}


def _uuid(value: Any) -> str:
    parsed = parse_uuid(value)
    if parsed is None:
        raise invalid("invalid_input", "must be a UUID.")
    return parsed


# A UUID in its canonical form (any form uuid.UUID reads is accepted).
Uuid = Annotated[str, BeforeValidator(_uuid), WithJsonSchema(UUID_SCHEMA)]


def text(max_length: int, code: str = "invalid_input") -> Any:
    """A non-blank string of at most ``max_length`` characters; errors have ``code``."""
    rule = domain_rule(lambda value: params.text(value, "the value", max_length=max_length, code=code))
    schema = {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": r"\S"}
    return Annotated[str, rule, WithJsonSchema(schema), Code(code)]


# A release id as clients send it: absent, null, "" or a UUID.
ReleaseId = Annotated[
    str | None,
    domain_rule(params.release_param),
    WithJsonSchema({"anyOf": [UUID_SCHEMA, {"type": "null"}]}),
    Code("invalid_release_id"),
]


def _drop_default(schema: dict) -> None:
    schema.pop("default", None)


def described(schema: dict, description: str | None = None) -> Any:
    """A field the domain checks itself (with PostHog's codes): any JSON value passes the
    model, the document shows ``schema``."""
    extra = {**schema, **({"description": description} if description else {})}
    return Annotated[Any, WithJsonSchema(extra), Field(json_schema_extra=_drop_default)]


def sent(body: BaseModel) -> dict:
    """The fields a client sent (for a domain function that checks them itself)."""
    return body.model_dump(exclude_unset=True)


class Success(BaseModel):
    success: bool


def _flag(value: Any) -> Any:
    return False if value is None else value


# A JSON boolean; null is false.
Flag = Annotated[bool, BeforeValidator(_flag)]


def _non_negative(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    raise invalid("invalid_input", "must be a non-negative integer.")


# A query parameter: ASCII digits (at most 12); empty means 0.
NonNegative = Annotated[
    int, BeforeValidator(_non_negative), WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 10**12 - 1})
]


# A file part of a multipart/form-data body (streamed by the handler, never validated here).
FileField = Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]


def absent(description: str | None = None) -> Any:
    """The default of a field that may be left out but, when sent, must not be null."""
    return Field(None, description=description, json_schema_extra=_drop_default)


class PageQuery(BaseModel):
    """``limit`` (default 100, at most 1000: larger values are capped, 0 means the
    default) and ``offset``."""

    limit: NonNegative = Field(0, description=f"Items per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).")
    offset: NonNegative = Field(0, description="Items to skip.")

    def page(self) -> tuple[int, int]:
        return min(self.limit or DEFAULT_LIMIT, MAX_LIMIT), self.offset


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next``/``previous`` are absolute URLs keeping the filters."""

    count: int = Field(description="Items matching the filters, over all pages.")
    next: str | None = Field(json_schema_extra={"format": "uri"})
    previous: str | None = Field(json_schema_extra={"format": "uri"})
    results: list[T]


class Error(BaseModel):
    """Every error answer. ``attr`` names the offending field (dotted path) or is null."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "validation_error", "code": "invalid_chunk_ids", "detail": "chunk_id: ...", "attr": "chunk_id"}
            ]
        }
    )

    type: Literal["validation_error", "authentication_error", "invalid_request", "throttled_error", "server_error"]
    code: str
    detail: str
    attr: str | None


class IdPath(BaseModel):
    """``{id}``: a UUID; anything else is a 404 like an unknown id."""

    id: Uuid


class Release(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01968a1e-6f6e-7c2a-9a0e-3f1b2c4d5e6f",
                    "hash_id": "01968a1e-6f6e-7c2a-9a0e-3f1b2c4d5e6f",
                    "team_id": 1,
                    "created_at": "2025-05-01T12:00:00.000000Z",
                    "metadata": {"git": {"commit_id": "abc123"}},
                    "version": "1.2.0",
                    "project": "web",
                }
            ]
        }
    )

    id: Uuid
    hash_id: str
    team_id: int
    created_at: datetime
    metadata: dict[str, Any] | None
    version: str
    project: str


class SymbolSet(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01968a1e-7a00-7000-8000-000000000001",
                    "ref": "chunk-01",
                    "team_id": 1,
                    "created_at": "2025-05-01T12:00:00.000000Z",
                    "storage_ptr": "symbolsets/1/01968a1e-7a00-7000-8000-000000000001",
                    "failure_reason": None,
                    "content_hash": "9f86d081884c7d659a2feaa0c55ad015",
                    "last_used": None,
                    "release": None,
                    "has_uploaded_file": True,
                    "url": "~/assets/app.js",
                }
            ]
        }
    )

    id: Uuid
    ref: str = Field(description="The chunk id (or the minified file's URL) this set resolves.")
    team_id: int
    created_at: datetime
    storage_ptr: str | None
    failure_reason: str | None = Field(description="Why processing failed (kind: message), else null.")
    content_hash: str | None
    last_used: datetime | None
    release: Release | None
    has_uploaded_file: bool = Field(description="Whether the file has been uploaded (false: a placeholder).")
    url: str | None = Field(
        None, description="Where the script is served (`~/path`: any scheme and host), from `--url-prefix`."
    )
