"""Raw stack frames as SDKs send them: normalised, and each given cymbal's stable ``raw_id``.

A frame keeps what its SDK sent, with these fields made regular:

- ``platform``: ``web:javascript``, ``node:javascript``, ``python``, ``custom`` or what the
  SDK named; absent or the legacy ``javascript`` becomes ``web:javascript`` (posthog-js);
- ``lineno``/``colno``: positive integers (1-based, as stack traces print them) or absent;
- ``chunk_id`` (also read from ``chunkId``), ``debug_id`` (Sentry's; kept only
  when a string), ``function`` (``?`` when the SDK sent none),
  ``in_app`` (default true, as cymbal);
- ``raw_id``: the lowercase hex SHA-512 cymbal computes per platform, so the same frame
  has the same id in every event (JavaScript: function, line, column, URL; Python and
  custom: context line, file, function, big-endian u32 positions, module, context).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

JS_PLATFORMS = frozenset({"web:javascript", "node:javascript"})


def normalise_frame(raw: Any) -> dict[str, Any] | None:
    """The frame made regular, with its ``raw_id``; None for what is not a frame."""
    if not isinstance(raw, dict):
        return None
    frame = dict(raw)
    frame.pop("raw_id", None)  # ours, never the client's
    platform = frame.get("platform")
    if not isinstance(platform, str) or platform in ("", "javascript"):
        platform = "web:javascript"
    frame["platform"] = platform
    for key in ("lineno", "colno"):
        frame[key] = _position(frame.get(key))
    chunk_id = frame.pop("chunkId", None) if "chunk_id" not in frame else frame["chunk_id"]
    frame["chunk_id"] = chunk_id if isinstance(chunk_id, str) and chunk_id else None
    debug_id = frame.pop("debug_id", None)
    if isinstance(debug_id, str) and 0 < len(debug_id) <= 400:
        frame["debug_id"] = debug_id
    if not isinstance(frame.get("function"), str) or not frame["function"]:
        frame["function"] = "?"
    if not isinstance(frame.get("filename"), str):
        frame["filename"] = None
    frame["in_app"] = frame.get("in_app") if isinstance(frame.get("in_app"), bool) else True
    frame["raw_id"] = raw_id(frame)
    return frame


def _position(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 11:
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 2**32 else None


def raw_id(frame: dict[str, Any]) -> str:
    """cymbal's frame id of a normalised frame: SHA-512 over its identifying fields."""
    hasher = hashlib.sha512()
    platform = frame["platform"]
    if platform in JS_PLATFORMS:
        hasher.update(frame["function"].encode())
        if frame["lineno"] is not None and frame["colno"] is not None:
            hasher.update(str(frame["lineno"]).encode())
            hasher.update(str(frame["colno"]).encode())
        hasher.update((frame["filename"] or "").encode())
    elif platform in ("python", "custom"):
        _text(hasher, frame.get("context_line"))
        _text(hasher, frame["filename"])
        hasher.update(frame["function"].encode())
        hasher.update((frame["lineno"] or 0).to_bytes(4, "big"))
        if platform == "custom":
            hasher.update((frame["colno"] or 0).to_bytes(4, "big"))
            _text(hasher, frame.get("lang"))
            hasher.update(b"true" if frame.get("resolved") is True else b"false")
        _text(hasher, frame.get("module"))
        for key in ("pre_context", "post_context"):
            lines = frame.get(key)
            for line in lines if isinstance(lines, list) else ():
                _text(hasher, line)
    else:  # a platform cymbal resolves elsewhere: every field, in a stable order
        hasher.update(orjson.dumps(frame, option=orjson.OPT_SORT_KEYS))
    return hasher.hexdigest()


def _text(hasher, value: Any) -> None:
    if isinstance(value, str):
        hasher.update(value.encode())
