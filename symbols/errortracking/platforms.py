"""Frames in the resolved shape without a symbol set: cymbal's per-platform rules.

The resolved shape: ``{raw_id, mangled_name, line, column, source, in_app, resolved_name,
lang, resolved, resolve_failure}`` plus ``module`` and ``context`` when known.

- ``needs_symbols(frame)``: a JavaScript frame with a line and a column goes to the
  resolution layers; everything else is shaped here.
- ``passthrough(frame)``: Python frames are resolved as they come (``resolved_name`` =
  ``function``, ``resolved`` true, no column); custom frames take ``lang`` and ``resolved``
  (default false) from the frame; other platforms pass as resolved under their own name; a
  JavaScript frame with no position is taken as not minified (cymbal treats it as native).
- ``unresolved_js(frame, failure)``: a JavaScript frame the resolver could not map. It is
  taken as minified (``resolved`` false, ``resolved_name`` null) by the resolver's rule
  (``resolve.frames.is_minified``); a frame that is not the user's code (``NoMapNeeded``)
  keeps its names and is not in app.

``source`` of a frame not resolved is the path of its http(s) URL (without ``:line:col``),
so one script served from two hosts gives one fingerprint; a file path is kept as it is.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..resolve.frames import NO_MAP_NEEDED, Frame, is_minified
from .frames import JS_PLATFORMS

CONTEXT_LINE_CHARS = 300
_POSITION_SUFFIX = re.compile(r"(?::\d+){1,2}$")


def needs_symbols(frame: dict[str, Any]) -> bool:
    return frame["platform"] in JS_PLATFORMS and frame["lineno"] is not None and frame["colno"] is not None


def resolved_stack(frames: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "resolved", "frames": frames}


def passthrough(frame: dict[str, Any]) -> dict[str, Any]:
    platform = frame["platform"]
    if platform in JS_PLATFORMS:
        anonymous = frame["filename"] == "<anonymous>"
        return _shape(frame, lang="javascript", resolved=True, resolved_name=frame["function"],
                      source=script_path(frame["filename"]), in_app=frame["in_app"] and not anonymous)
    if platform == "custom":
        lang = frame.get("lang") if isinstance(frame.get("lang"), str) else "custom"
        return _shape(frame, lang=lang, resolved=frame.get("resolved") is True,
                      resolved_name=frame["function"], context=_context(frame))
    shaped = _shape(frame, lang=platform, resolved=True, resolved_name=frame["function"],
                    context=_context(frame))
    if platform == "python":
        shaped["column"] = None
    return shaped


def unresolved_js(frame: dict[str, Any], failure: str) -> dict[str, Any]:
    minified = is_minified(
        Frame(frame["filename"], frame["function"], frame["lineno"], frame["colno"],
              chunk_id=frame.get("chunk_id"), debug_id=frame.get("debug_id")),
        failure,
    )
    return _shape(frame, lang="javascript", resolved=not minified,
                  resolved_name=None if minified else frame["function"],
                  source=script_path(frame["filename"]), resolve_failure=failure,
                  in_app=False if failure == NO_MAP_NEEDED else None)


def script_path(filename: str | None) -> str | None:
    """The path of an http(s) script URL; other file names as they are."""
    if not filename:
        return None
    parts = urlsplit(filename)
    if parts.scheme.lower() in ("http", "https"):
        return _POSITION_SUFFIX.sub("", parts.path) or "/"
    return filename


def _shape(frame: dict[str, Any], *, lang: str, resolved: bool, resolved_name: str | None,
           source: str | None = None, in_app: bool | None = None, resolve_failure: str | None = None,
           context: dict | None = None) -> dict[str, Any]:
    shaped = {
        "raw_id": frame["raw_id"],
        "mangled_name": frame["function"],
        "line": frame["lineno"],
        "column": frame["colno"],
        "source": source if lang == "javascript" else frame["filename"],
        "in_app": frame["in_app"] if in_app is None else in_app,
        "resolved_name": resolved_name,
        "lang": lang,
        "resolved": resolved,
        "resolve_failure": resolve_failure,
    }
    if isinstance(frame.get("module"), str):
        shaped["module"] = frame["module"]
    if context is not None:
        shaped["context"] = context
    return shaped


def _context(frame: dict[str, Any]) -> dict | None:
    """Source lines an SDK sent with the frame, numbered, ``before`` in file order.

    Python SDKs send ``pre_context`` in file order (the nearest line last); cymbal's custom
    frames put the nearest line first.
    """
    line, number = frame.get("context_line"), frame["lineno"]
    if not isinstance(line, str) or number is None:
        return None
    pre, post = _texts(frame.get("pre_context")), _texts(frame.get("post_context"))
    if frame["platform"] != "custom":
        pre = pre[::-1]
    before = [{"number": number - i - 1, "line": _clip(t)} for i, t in enumerate(pre[:10])]
    after = [{"number": number + i + 1, "line": _clip(t)} for i, t in enumerate(post[:10])]
    return {"before": before[::-1], "line": {"number": number, "line": _clip(line)}, "after": after}


def _texts(value: Any) -> list[str]:
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _clip(text: str) -> str:
    return text[:CONTEXT_LINE_CHARS] + "..." if len(text) > CONTEXT_LINE_CHARS else text
