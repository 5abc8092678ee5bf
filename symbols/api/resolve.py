"""``POST stack_frames/resolve/``: turn SDK stack frames into original positions.

Body ``{"frames": [...]}`` or ``{"exception_list": [...]}`` (SDK shape), with optional
``context_lines`` (0..50, default 5) and ``explain`` (bool). Limits: 1000 frames per
request (413 ``too_many_frames``), the app's 4 MiB JSON body (413), strings of at most
8192 characters (400). Scope ``error_tracking:read``.
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..resolve import DEFAULT_CONTEXT_LINES, MAX_CONTEXT_LINES, Frame
from ..resolve.frames import (
    INVALID_SOURCE_MAP,
    NO_MAP_NEEDED,
    NO_POSITION,
    NO_SOURCEMAP_UPLOADED,
    NO_URL_OR_CHUNK_ID,
    STORAGE_UNAVAILABLE,
    SYMBOL_SET_FAILED,
    TOKEN_NOT_FOUND,
    with_debug_ids,
)
from .auth import READ
from .context import context
from .errors import PayloadTooLarge, ValidationError
from .models import Flag, ReleaseId, absent
from .operation import Input, operation
from .parse import json_response

MAX_FRAMES = 1000
MAX_STRING = 8192

Short = Annotated[str, Field(max_length=MAX_STRING)]
Position = Annotated[int, Field(ge=1, le=2**31, description="1-based, as in stack traces.")]
FAILURES = (
    NO_URL_OR_CHUNK_ID, NO_POSITION, NO_SOURCEMAP_UPLOADED, SYMBOL_SET_FAILED, INVALID_SOURCE_MAP,
    STORAGE_UNAVAILABLE, TOKEN_NOT_FOUND, NO_MAP_NEEDED,
)


class FrameIn(BaseModel):
    """A stack frame as PostHog's SDKs send it; other fields are ignored."""

    model_config = ConfigDict(extra="allow")

    platform: Short | None = None
    filename: Short | None = Field(None, description="The minified file's URL.")
    function: Short | None = None
    chunk_id: Short | None = Field(None, description="The chunk id injected into the minified file.")
    debug_id: Short | None = Field(None, description="Sentry's debug id of the minified file.")
    lineno: Position | None = None
    colno: Position | None = None
    in_app: bool | None = None


class StackTraceIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    frames: list[FrameIn] | None = None


class ExceptionIn(BaseModel):
    """An entry of ``$exception_list``; it is answered as sent, its frames resolved."""

    model_config = ConfigDict(extra="allow")

    stacktrace: StackTraceIn | None = None


class DebugImage(BaseModel):
    """A Sentry ``debug_meta`` image: the debug id of the script at ``code_file``."""

    model_config = ConfigDict(extra="allow")

    code_file: Short | None = None
    debug_id: Short | None = None


class DebugMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    images: Annotated[list[DebugImage], Field(max_length=MAX_FRAMES)] = []


def _default_context(value: Any) -> Any:
    return DEFAULT_CONTEXT_LINES if value is None else value


class ResolveRequest(BaseModel):
    """Exactly one of ``frames`` and ``exception_list``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"frames": [{"chunk_id": "chunk-01", "lineno": 1, "colno": 64, "platform": "web:javascript"}]},
                {"exception_list": [{"type": "Error", "stacktrace": {"frames": [{"filename": "https://x/app.js",
                                                                                 "lineno": 1, "colno": 9}]}}]},
            ]
        }
    )

    frames: list[FrameIn] = absent()
    exception_list: list[ExceptionIn] = absent("PostHog's `$exception_list`.")
    context_lines: Annotated[int, BeforeValidator(_default_context)] = Field(
        DEFAULT_CONTEXT_LINES, ge=0, le=MAX_CONTEXT_LINES, description="Source lines before and after."
    )
    explain: Flag = Field(False, description="Add each frame's lookup steps (`explain`).")
    release_id: ReleaseId = Field(
        None, description="Where several sets were uploaded for one script URL, prefer this release's."
    )
    debug_meta: DebugMeta | None = Field(
        None, description="Sentry's `debug_meta`: frames of an image's `code_file` take its `debug_id`."
    )


class Line(BaseModel):
    number: int
    line: str


class SourceContext(BaseModel):
    before: list[Line]
    line: Line
    after: list[Line]


class Step(BaseModel):
    step: str
    found: bool
    detail: str


class ResolvedFrame(BaseModel):
    raw_id: str
    mangled_name: str | None
    line: int | None
    column: int | None
    source: str | None
    in_app: bool
    resolved_name: str | None
    lang: str
    resolved: bool
    resolve_failure: str | None = Field(description="Why the frame is unresolved: " + ", ".join(FAILURES) + ".")
    context: SourceContext | None
    explain: list[Step] | None = Field(None, description="With explain: true.")


class ResolvedStackTrace(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    frames: list[ResolvedFrame]


class ResolvedException(BaseModel):
    model_config = ConfigDict(extra="allow")

    stacktrace: ResolvedStackTrace | None = None


class Resolved(BaseModel):
    frames: list[ResolvedFrame] | None = None
    exception_list: list[ResolvedException] | None = None


def _frame(f: FrameIn) -> Frame:
    return Frame(f.filename, f.function, f.lineno, f.colno, f.in_app, f.chunk_id, f.platform, f.debug_id)


def _too_many(count: int) -> None:
    if count > MAX_FRAMES:
        raise PayloadTooLarge("too_many_frames", f"At most {MAX_FRAMES} frames per request, got {count}.", "frames")


@operation(
    "Resolve minified stack frames", scope=READ, body=ResolveRequest, responses={200: Resolved},
    errors={413: ("too_many_frames",)},
    description="One bad frame never fails the request: it is answered unresolved with its resolve_failure.",
)
async def resolve_frames(request: web.Request, inp: Input[None, None, ResolveRequest]) -> web.Response:
    body = inp.body
    sent = body.model_fields_set
    if ("frames" in sent) == ("exception_list" in sent):
        raise ValidationError("invalid_input", "Send either frames or exception_list.", "frames")
    resolver = context(request).resolver
    options = {"context_lines": body.context_lines, "explain": body.explain, "release_id": body.release_id}
    images = {i.code_file: i.debug_id for i in body.debug_meta.images if i.code_file and i.debug_id} \
        if body.debug_meta is not None else {}

    if body.frames is not None:
        _too_many(len(body.frames))
        frames = with_debug_ids([_frame(f) for f in body.frames], images)
        return json_response({"frames": await resolver.resolve(inp.project_id, frames, **options)})

    exceptions = [e.model_dump(exclude_unset=True) for e in body.exception_list]
    per_exception = [
        None if e.stacktrace is None else (e.stacktrace.frames or []) for e in body.exception_list
    ]
    _too_many(sum(len(f) for f in per_exception if f))
    frames = with_debug_ids([_frame(f) for raw in per_exception if raw for f in raw], images)
    resolved = await resolver.resolve(inp.project_id, frames, **options)
    out, at = [], 0
    for exception, raw in zip(exceptions, per_exception):
        if raw is None:
            out.append(exception)
            continue
        out.append(exception | {"stacktrace": {"type": "resolved", "frames": resolved[at:at + len(raw)]}})
        at += len(raw)
    return json_response({"exception_list": out})
