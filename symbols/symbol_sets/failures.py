"""Why a symbol set cannot be used: ``failure_reason``, built and read here only.

The stored text is PostHog's shape, ``{"JavaScript": {kind: message}}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

INVALID_SOURCE_MAP = "InvalidSourceMap"
INVALID_SOURCE_AND_MAP = "InvalidSourceAndMap"
MISSING_CHUNK_ID_DATA = "MissingChunkIdData"


@dataclass(frozen=True)
class BuildFailure:
    kind: str
    message: str

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
    "INVALID_SOURCE_AND_MAP",
    "INVALID_SOURCE_MAP",
    "MISSING_CHUNK_ID_DATA",
    "BuildFailure",
    "parse_failure",
]
