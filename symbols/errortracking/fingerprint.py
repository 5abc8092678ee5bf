"""The fingerprint stage: which issue an exception event belongs to, and why.

``fingerprint(exceptions, client=..., rule_id=...)`` returns ``Fingerprint(value, proposed,
record)``:

- ``proposed`` is ``custom-rule:<rule_id>`` when the caller's grouping rules matched (the
  hook: the caller evaluates the rules and passes the first match's id), else the automatic
  fingerprint below;
- ``value`` is the client's ``$exception_fingerprint`` when it sent a non-empty string (a
  manual fingerprint; one over 64 bytes is replaced by its SHA-512 hex), else ``proposed``;
- ``record`` (``$exception_fingerprint_record``) says what went in: ``[{"type": "manual"}]``,
  ``[{"type": "custom", "rule_id": ...}]``, or one part per exception and frame hashed.

The automatic fingerprint (cymbal's): one SHA-512 over every exception in list order, in
lowercase hex, fed with UTF-8 bytes and no separators. For each exception: its ``type``;
its ``value`` only when it has no resolved stack trace; then, if it has one, its frames: the
first frame alone when no frame is in-app, else every in-app frame that is resolved (or all
in-app frames when none is resolved). For each frame: ``source`` and ``module`` when present;
then ``resolved_name`` when present, and nothing more; otherwise ``mangled_name``, ``line``
and ``column`` as decimal text when present, and ``lang``.

Frames are in the resolved shape (``platforms`` module, or the resolver's answer).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

MANUAL_MAX_BYTES = 64
CUSTOM_RULE_PREFIX = "custom-rule:"


@dataclass(frozen=True)
class Fingerprint:
    value: str
    proposed: str
    record: list[dict[str, Any]] = field(default_factory=list)


def fingerprint(exceptions: list[dict[str, Any]], client: Any = None, *,
                rule_id: str | None = None) -> Fingerprint:
    """The event's fingerprint: the client's, else a grouping rule's, else the automatic one."""
    if rule_id is not None:
        proposed, record = f"{CUSTOM_RULE_PREFIX}{rule_id}", [{"type": "custom", "rule_id": rule_id}]
    else:
        proposed, record = automatic(exceptions)
    if isinstance(client, str) and client:
        return Fingerprint(manual(client), proposed, [{"type": "manual"}])
    return Fingerprint(proposed, proposed, record)


def manual(value: str) -> str:
    """A client's fingerprint as stored: itself, or its SHA-512 hex when over 64 bytes."""
    data = value.encode()
    return hashlib.sha512(data).hexdigest() if len(data) > MANUAL_MAX_BYTES else value


def automatic(exceptions: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """cymbal's automatic fingerprint of resolved exceptions, and its record."""
    hasher = hashlib.sha512()
    record: list[dict[str, Any]] = []
    for exception in exceptions:
        hasher.update(str(exception.get("type", "")).encode())
        pieces = ["Exception Type"]
        frames = resolved_frames(exception)
        if frames is None:
            hasher.update(str(exception.get("value") or "").encode())
            pieces.append("Exception Message")
        record.append({"type": "exception", "id": exception.get("id"), "pieces": pieces})
        for frame in _selected(frames or []):
            record.append(_hash_frame(hasher, frame))
    return hasher.hexdigest(), record


def resolved_frames(exception: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The frames of the exception's resolved stack trace; None when it has none."""
    stack = exception.get("stacktrace")
    if isinstance(stack, dict) and stack.get("type") == "resolved":
        return stack.get("frames") or []
    return None


def _selected(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not any(f.get("in_app") for f in frames):
        return frames[:1]
    none_resolved = not any(f.get("resolved") for f in frames)
    return [f for f in frames if f.get("in_app") and (none_resolved or f.get("resolved"))]


def _hash_frame(hasher, frame: dict[str, Any]) -> dict[str, Any]:
    pieces = []

    def add(value: Any, piece: str) -> None:
        hasher.update(str(value).encode())
        pieces.append(piece)

    if frame.get("source") is not None:
        add(frame["source"], "Source file name")
    if frame.get("module") is not None:
        add(frame["module"], "Module name")
    if frame.get("resolved_name") is not None:
        add(frame["resolved_name"], "Resolved function name")
    else:
        add(frame.get("mangled_name") or "", "Mangled function name")
        if frame.get("line") is not None:
            add(frame["line"], "Line number")
        if frame.get("column") is not None:
            add(frame["column"], "Column number")
        add(frame.get("lang") or "", "Language")
    return {"type": "frame", "raw_id": frame.get("raw_id"), "pieces": pieces}
