"""Why a symbol set cannot be used: ``failure_reason``, built and read here only.

The stored text is PostHog's shape, ``{"JavaScript": {kind: message}}``, the message
``"code: detail"``. Past one of the engine's caps (``sourcemaps/limits.py``) the kind says
so, whichever part of the blob hit it: ``TooLarge`` (sizes, the container's decompressed
bytes, the index process running out of its address space) and ``TooComplex`` (nesting,
scope-build time); ``IndexTimeout`` and ``IndexCrashed`` are the index process taking
longer than ``SYMBOLS_INDEX_TIMEOUT_SECONDS`` or dying on this set. All of them are the
set's own failure, never retried.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

INVALID_SOURCE_MAP = "InvalidSourceMap"
INVALID_SOURCE_AND_MAP = "InvalidSourceAndMap"
MISSING_CHUNK_ID_DATA = "MissingChunkIdData"
TOO_LARGE = "TooLarge"
TOO_COMPLEX = "TooComplex"
INDEX_TIMEOUT = "IndexTimeout"
INDEX_CRASHED = "IndexCrashed"

# An engine or container error code that has a kind of its own.
_KIND_OF_CODE = {"too_large": TOO_LARGE, "too_complex": TOO_COMPLEX}


@dataclass(frozen=True)
class BuildFailure:
    kind: str
    message: str

    @classmethod
    def of_code(cls, default_kind: str, code: str, detail: str) -> BuildFailure:
        """The failure for an engine or container error: its cap's kind, else ``default_kind``."""
        return cls(_KIND_OF_CODE.get(code, default_kind), f"{code}: {detail}")

    def failure_reason(self) -> str:
        """The JSON text stored in ``symbol_sets.failure_reason``."""
        return orjson.dumps({"JavaScript": {self.kind: self.message}}).decode()


def parse_failure(reason: str | None) -> tuple[str, str] | None:
    """(kind, message) of a stored failure_reason, or None when it is empty or unreadable."""
    if not reason:
        return None
    try:
        data = orjson.loads(reason)
        [(kind, message)] = data["JavaScript"].items()
        return str(kind), str(message)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return "Unknown", reason


__all__ = [
    "INDEX_CRASHED",
    "INDEX_TIMEOUT",
    "INVALID_SOURCE_AND_MAP",
    "INVALID_SOURCE_MAP",
    "MISSING_CHUNK_ID_DATA",
    "TOO_COMPLEX",
    "TOO_LARGE",
    "BuildFailure",
    "parse_failure",
]
