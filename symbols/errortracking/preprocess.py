"""The pipeline's first stage: one event's properties made ready for resolution.

``preprocess(event_name, properties)`` returns ``Prepared(properties, exceptions)``:

- events other than ``$exception`` pass through untouched (``exceptions`` is None);
- a ``$exception`` event needs a non-empty ``$exception_list``; the legacy flat form
  (``$exception_type``, ``$exception_message``, ``$exception_stack_trace_raw`` as a JSON list
  of frames or as a printed V8/Gecko trace) is turned into one when the list is absent;
- each exception is checked (an object with a string ``type``), its ``value`` cut to
  10,000 characters plus ``...``, given a new ``id`` (UUIDv7, as cymbal), and its stack's
  frames normalised with their ``raw_id`` (``frames.normalise_frame``); at most
  ``MAX_FRAMES`` frames are kept, the innermost (the last, in SDK order);
- when the event cannot be processed, the reason is appended to ``$cymbal_errors``, the
  event is kept as it came and ``exceptions`` is None: the later stages skip it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from ..stacktrace import parse as parse_trace
from .frames import normalise_frame
from .ids import uuid7

MAX_VALUE_CHARS = 10_000
MAX_FRAMES = 1000
EXCEPTION_EVENT = "$exception"
ERRORS = "$cymbal_errors"
_HEADER = re.compile(r"^\s*([A-Za-z_$][\w$.]*)(?::\s?(.*))?$")


class Prepared(NamedTuple):
    """The properties to carry on, and the normalised exceptions (None: skip the stages)."""

    properties: dict[str, Any]
    exceptions: list[dict[str, Any]] | None


class _Invalid(ValueError):
    """Why an exception event cannot go through the pipeline (stored in ``$cymbal_errors``)."""


def preprocess(event_name: str, properties: Mapping[str, Any]) -> Prepared:
    props = dict(properties)
    if event_name != EXCEPTION_EVENT:
        return Prepared(props, None)
    try:
        exceptions = [_exception(item) for item in _exception_list(props)]
    except _Invalid as exc:
        return Prepared(add_error(props, str(exc)), None)
    props["$exception_list"] = exceptions
    return Prepared(props, exceptions)


def add_error(properties: dict[str, Any], message: str) -> dict[str, Any]:
    """``properties`` with ``message`` appended to its ``$cymbal_errors`` list."""
    errors = properties.get(ERRORS)
    properties[ERRORS] = [*(errors if isinstance(errors, list) else ()), message]
    return properties


def _exception_list(props: dict[str, Any]) -> list:
    items = props.get("$exception_list")
    if items is None and any(
        key in props for key in ("$exception_type", "$exception_message", "$exception_stack_trace_raw")
    ):
        items = [_from_legacy(props)]
    if not isinstance(items, list):
        raise _Invalid("$exception_list is missing or not a list")
    if not items:
        raise _Invalid("$exception_list is empty")
    return items


def _exception(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Invalid("an exception in $exception_list is not an object")
    if not isinstance(raw.get("type"), str):
        raise _Invalid("an exception in $exception_list has no string type")
    exception = dict(raw)
    exception["value"] = _cut(_text(raw.get("value")))
    exception["id"] = str(uuid7())
    if not isinstance(exception.get("mechanism"), dict):
        exception.pop("mechanism", None)
    stack = raw.get("stacktrace")
    if stack is None:
        exception.pop("stacktrace", None)
    elif isinstance(stack, dict) and isinstance(stack.get("frames"), list):
        frames = [f for f in map(normalise_frame, stack["frames"][-MAX_FRAMES:]) if f is not None]
        exception["stacktrace"] = {**stack, "type": "raw", "frames": frames}
    else:
        raise _Invalid("an exception's stacktrace is not an object with a list of frames")
    return exception


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _cut(value: str) -> str:
    return value[:MAX_VALUE_CHARS] + "..." if len(value) > MAX_VALUE_CHARS else value


def _from_legacy(props: dict[str, Any]) -> dict[str, Any]:
    """One exception from the flat ``$exception_type``/``_message``/``_stack_trace_raw`` form."""
    kind, message = props.get("$exception_type"), props.get("$exception_message")
    frames: list = []
    raw = props.get("$exception_stack_trace_raw")
    if isinstance(raw, list):
        frames = raw
    elif isinstance(raw, str):
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, list):
            frames = decoded
        else:
            frames, header = _printed_trace(raw)
            match = _HEADER.match(header) if header else None
            if match and not isinstance(kind, str):
                kind = match.group(1)
            if match and message is None:
                message = match.group(2)
    exception: dict[str, Any] = {
        "type": kind if isinstance(kind, str) and kind else "Error",
        "value": _text(message),
    }
    if frames:
        exception["stacktrace"] = {"type": "raw", "frames": frames}
    return exception


def _printed_trace(text: str) -> tuple[list[dict], str | None]:
    """Frames of a printed trace, in SDK order (innermost last), and its first line."""
    trace = parse_trace(text[: MAX_VALUE_CHARS * 10])
    header = next((line for line in trace.lines if isinstance(line, str) and line.strip()), None)
    frames = [
        {"platform": f.platform, "filename": f.filename, "function": f.function,
         "lineno": f.lineno, "colno": f.colno, "in_app": True}
        for f in trace.frames
    ]
    return frames[::-1], header
