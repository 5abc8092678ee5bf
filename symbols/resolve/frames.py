"""The frame model: an input stack frame, why one cannot be resolved, explain steps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

import orjson

# resolve_failure kinds.
NO_URL_OR_CHUNK_ID = "NoUrlOrChunkId"
NO_POSITION = "NoLineOrColumn"
NO_SOURCEMAP_UPLOADED = "NoSourcemapUploaded"
SYMBOL_SET_FAILED = "SymbolSetFailed"
INVALID_SOURCE_MAP = "InvalidSourceMap"
STORAGE_UNAVAILABLE = "StorageUnavailable"
TOKEN_NOT_FOUND = "TokenNotFound"
# Not the user's code (engine internals, eval'd code, browser extensions): no map to find.
NO_MAP_NEEDED = "NoMapNeeded"
# Failures that say nothing about the frame's code being minified: its names are kept.
NOT_MINIFIED = frozenset({NO_URL_OR_CHUNK_ID, NO_MAP_NEEDED})
# Without a set found, a frame is taken as minified past this column (cymbal's rule:
# people rarely write longer lines).
MINIFIED_COLUMN = 300

_NOT_USER_CODE = re.compile(
    r"^(?:<anonymous>|native|\[native code\]|node:.*|internal/.*|"
    r"(?:chrome|moz|safari|safari-web|ms-browser)-extension://.*)$",
    re.IGNORECASE | re.DOTALL,
)
# A trailing ":line" or ":line:col" (Chromium and Firefox append them to URLs).
_POSITION_SUFFIX = re.compile(r"(?::\d+){1,2}$")

DEFAULT_CONTEXT_LINES = 5
MAX_CONTEXT_LINES = 50


class ResolveFailure(Exception):
    """Why one frame (or every frame of one set) cannot be resolved."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Frame:
    """An input frame, validated (positions 1-based, as in stack traces)."""

    filename: str | None
    function: str | None
    lineno: int | None
    colno: int | None
    in_app: bool | None = None
    chunk_id: str | None = None
    platform: str | None = None
    debug_id: str | None = None

    @property
    def raw_id(self) -> str:
        """A stable id of the frame's identifying fields (sha256, 32 hex digits)."""
        key = [self.platform, self.filename, self.function, self.lineno, self.colno, self.chunk_id]
        return hashlib.sha256(orjson.dumps(key)).hexdigest()[:32]


def needs_no_map(filename: str | None) -> bool:
    """Whether a frame's file is not the user's code: ``<anonymous>``, ``native``,
    ``node:internal/...``, a browser extension's script."""
    return bool(filename) and _NOT_USER_CODE.match(filename) is not None


def script_url(filename: str) -> str:
    """A frame's script URL as matched against symbol sets: no fragment, no query string,
    no ``:line:col`` suffix."""
    url = filename.split("#", 1)[0].split("?", 1)[0]
    return _POSITION_SUFFIX.sub("", url)


def with_debug_ids(frames: list[Frame], images: dict[str, str]) -> list[Frame]:
    """Frames without a debug id take the one of their script in Sentry's ``debug_meta``
    images (``{code_file: debug_id}``)."""
    if not images:
        return frames
    by_url = {script_url(url): debug_id for url, debug_id in images.items()}
    return [
        replace(f, debug_id=by_url.get(script_url(f.filename))) if f.debug_id is None and f.filename else f
        for f in frames
    ]


def is_minified(frame: Frame, kind: str) -> bool:
    """Whether an unresolved frame is taken as minified (then it has no resolved name)."""
    if kind in NOT_MINIFIED:
        return False
    if kind == NO_SOURCEMAP_UPLOADED and frame.chunk_id is None and frame.debug_id is None:
        return (frame.colno or 0) > MINIFIED_COLUMN
    return True


def step(name: str, found: bool, detail: str) -> dict:
    """One step of ``explain``: what was looked for and what was found."""
    return {"step": name, "found": found, "detail": detail}


__all__ = [
    "DEFAULT_CONTEXT_LINES",
    "MAX_CONTEXT_LINES",
    "Frame",
    "ResolveFailure",
    "is_minified",
    "needs_no_map",
    "script_url",
    "step",
    "with_debug_ids",
]
