"""SQL functions SQLite lacks, registered on every SQLite connection (``engine.py``):
``symbols_regexp(pattern, text)`` (RE2, unanchored search), ``symbols_number(text)``
(the number a JSON string reads as, else NULL), ``symbols_epoch(kind, value)`` and
``symbols_semver(text)`` (``property_values``' dates and versions), used by
``event_filters``; and ``lower`` replaced by Python's, which lowers every letter (case-
insensitive filters and searches mean the same on both databases)."""

from __future__ import annotations

import functools
import re

import re2

from ..property_values import epoch_seconds, semver_key_of
from .event_filters import NUMBER_RE

_NUMBER = re.compile(NUMBER_RE)
MAX_PATTERN_MEMORY = 8 << 20


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str):
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error:
        return None


def regexp(pattern: object, text: object) -> int | None:
    if not isinstance(pattern, str) or text is None:
        return None
    compiled = _compiled(pattern)
    if compiled is None:
        return None
    return int(compiled.search(str(text)) is not None)


def number(text: object) -> float | None:
    if isinstance(text, str) and _NUMBER.match(text):
        return float(text)
    return None


def epoch(kind: object, value: object) -> int | None:
    """Unix seconds of a JSON number or string (``kind`` as ``event_filters`` names it)."""
    return epoch_seconds(value) if kind in ("number", "string") else None


def lower(value: object) -> object:
    """Python's lower case: SQLite's own ``lower`` leaves all but ASCII letters as they are."""
    return value.lower() if isinstance(value, str) else value


def register(dbapi_conn) -> None:
    dbapi_conn.create_function("symbols_regexp", 2, regexp, deterministic=True)
    dbapi_conn.create_function("symbols_number", 1, number, deterministic=True)
    dbapi_conn.create_function("symbols_epoch", 2, epoch, deterministic=True)
    dbapi_conn.create_function("symbols_semver", 1, semver_key_of, deterministic=True)
    dbapi_conn.create_function("lower", 1, lower, deterministic=True)
