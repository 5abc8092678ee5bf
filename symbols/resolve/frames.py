"""The frame model: an input stack frame, why one cannot be resolved, explain steps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

# resolve_failure kinds.
NO_URL_OR_CHUNK_ID = "NoUrlOrChunkId"
NO_POSITION = "NoLineOrColumn"
NO_SOURCEMAP_UPLOADED = "NoSourcemapUploaded"
SYMBOL_SET_FAILED = "SymbolSetFailed"
INVALID_SOURCE_MAP = "InvalidSourceMap"
STORAGE_UNAVAILABLE = "StorageUnavailable"
TOKEN_NOT_FOUND = "TokenNotFound"

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

    @property
    def raw_id(self) -> str:
        """A stable id of the frame's identifying fields (sha256, 32 hex digits)."""
        key = [self.platform, self.filename, self.function, self.lineno, self.colno, self.chunk_id]
        return hashlib.sha256(orjson.dumps(key)).hexdigest()[:32]


def frame_from_json(data: dict[str, Any]) -> Frame:
    """A Frame from an already validated JSON object (see api/resolve.py)."""
    return Frame(
        filename=data.get("filename"),
        function=data.get("function"),
        lineno=data.get("lineno"),
        colno=data.get("colno"),
        in_app=data.get("in_app"),
        chunk_id=data.get("chunk_id"),
        platform=data.get("platform"),
    )


def step(name: str, found: bool, detail: str) -> dict:
    """One step of ``explain``: what was looked for and what was found."""
    return {"step": name, "found": found, "detail": detail}


__all__ = [
    "DEFAULT_CONTEXT_LINES",
    "MAX_CONTEXT_LINES",
    "Frame",
    "ResolveFailure",
    "frame_from_json",
    "step",
]
