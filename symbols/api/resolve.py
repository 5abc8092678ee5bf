"""``POST stack_frames/resolve/``: turn SDK stack frames into original positions.

Body ``{"frames": [...]}`` or ``{"exception_list": [...]}`` (SDK shape), with optional
``context_lines`` (0..50, default 5) and ``explain`` (bool). Limits: 1000 frames per
request (413 ``too_many_frames``), the app's 4 MiB JSON body (413), strings of at most
8192 characters (400). Scope ``error_tracking:read``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..resolve import DEFAULT_CONTEXT_LINES, MAX_CONTEXT_LINES, Frame, frame_from_json
from .auth import READ, authorize
from .context import context
from .errors import PayloadTooLarge, ValidationError
from .parse import boolean, json_body, json_response

MAX_FRAMES = 1000
MAX_STRING = 8192

_STRING_FIELDS = ("platform", "filename", "function", "chunk_id")


def _invalid(detail: str, attr: str) -> ValidationError:
    return ValidationError("invalid_input", detail, attr)


def parse_frame(data: Any, attr: str) -> Frame:
    if not isinstance(data, dict):
        raise _invalid("A frame must be an object.", attr)
    for name in _STRING_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise _invalid(f"{name} must be a string.", f"{attr}.{name}")
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise _invalid(f"{name} must be at most {MAX_STRING} characters.", f"{attr}.{name}")
    for name in ("lineno", "colno"):
        value = data.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise _invalid(f"{name} must be a positive integer (1-based).", f"{attr}.{name}")
        if isinstance(value, int) and value > 2**31:
            raise _invalid(f"{name} is too large.", f"{attr}.{name}")
    in_app = data.get("in_app")
    if in_app is not None and not isinstance(in_app, bool):
        raise _invalid("in_app must be true or false.", f"{attr}.in_app")
    return frame_from_json(data)


def _frame_list(value: Any, attr: str) -> list:
    if not isinstance(value, list):
        raise _invalid(f"{attr} must be a list.", attr)
    return value


def _too_many(count: int) -> None:
    if count > MAX_FRAMES:
        raise PayloadTooLarge("too_many_frames", f"At most {MAX_FRAMES} frames per request, got {count}.", "frames")


def _context_lines(value: Any) -> int:
    if value is None:
        return DEFAULT_CONTEXT_LINES
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CONTEXT_LINES:
        raise _invalid(f"context_lines must be an integer from 0 to {MAX_CONTEXT_LINES}.", "context_lines")
    return value


def _exception_frames(exceptions: list) -> list[list | None]:
    """Each exception's raw frame list (None: no stack trace), checked for shape."""
    out: list[list | None] = []
    for i, exception in enumerate(exceptions):
        attr = f"exception_list.{i}"
        if not isinstance(exception, dict):
            raise _invalid("An exception must be an object.", attr)
        stacktrace = exception.get("stacktrace")
        if stacktrace is None:
            out.append(None)
            continue
        if not isinstance(stacktrace, dict):
            raise _invalid("stacktrace must be an object.", f"{attr}.stacktrace")
        out.append(_frame_list(stacktrace.get("frames") or [], f"{attr}.stacktrace.frames"))
    return out


async def resolve_frames(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    body = await json_body(request)
    context_lines = _context_lines(body.get("context_lines"))
    explain = boolean(body.get("explain"), "explain")
    if ("frames" in body) == ("exception_list" in body):
        raise _invalid("Send either frames or exception_list.", "frames")
    resolver = context(request).resolver

    if "frames" in body:
        raw = _frame_list(body["frames"], "frames")
        _too_many(len(raw))
        frames = [parse_frame(f, f"frames.{i}") for i, f in enumerate(raw)]
        resolved = await resolver.resolve(project_id, frames, context_lines=context_lines, explain=explain)
        return json_response({"frames": resolved})

    exceptions = _frame_list(body["exception_list"], "exception_list")
    per_exception = _exception_frames(exceptions)
    _too_many(sum(len(f) for f in per_exception if f))
    frames = [
        parse_frame(f, f"exception_list.{i}.stacktrace.frames.{j}")
        for i, raw in enumerate(per_exception) if raw
        for j, f in enumerate(raw)
    ]
    resolved = await resolver.resolve(project_id, frames, context_lines=context_lines, explain=explain)
    out, at = [], 0
    for exception, raw in zip(exceptions, per_exception):
        if raw is None:
            out.append(exception)
            continue
        out.append(exception | {"stacktrace": {"type": "resolved", "frames": resolved[at:at + len(raw)]}})
        at += len(raw)
    return json_response({"exception_list": out})
