"""Dates and semantic versions in property values: one grammar, read by the rules' filters
in Python (``errortracking.operators``) and by the events list in SQL (``db.event_filters``:
the same patterns on PostgreSQL, these functions registered on SQLite), so a filter means
the same thing wherever it runs.

- A date is a JSON number of Unix seconds (floored; years 1 to 9999), or a string in ISO
  8601's extended form: ``YYYY-MM-DD``, optionally ``T`` (or a space) and ``HH:MM``,
  ``:SS`` and a fraction (ignored: dates compare to the second), and then ``Z`` or an
  offset ``+HH:MM`` (``+HHMM``, ``+HH``); without one it is UTC.
- A version is ``[v]MAJOR[.MINOR[.PATCH[.N]]]``, each part at most 18 digits, then
  anything after a ``-`` or ``+`` (pre-release, build); missing parts are 0.

Both allow ASCII white space around the value. Anything else is neither.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

# Groups: year, month, day, hour, minute, second, Z, offset sign, offset hours, minutes.
# Written for both Python's re and PostgreSQL's regular expressions.
DATE_PATTERN = (
    r"\A[ \t\n\r\f\v]*([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?"
    r"(?:([Zz])|([-+])([0-9]{2})(?::?([0-9]{2}))?)?)?[ \t\n\r\f\v]*\Z"
)
# Groups: the four parts. ``(?s)``: what follows ``-`` or ``+`` may hold line breaks.
SEMVER_PATTERN = (
    r"(?s)\A[ \t\n\r\f\v]*[vV]?([0-9]{1,18})(?:\.([0-9]{1,18}))?(?:\.([0-9]{1,18}))?(?:\.([0-9]{1,18}))?"
    r"(?:[-+].*|[ \t\n\r\f\v]*)\Z"
)
# The width of each part in ``semver_key``: a part's 18 digits, or a range's bound past it.
SEMVER_KEY_WIDTH = 19
# The Unix seconds a date can be: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
MIN_EPOCH = -62135596800
MAX_EPOCH = 253402300799

_DATE = re.compile(DATE_PATTERN)
_SEMVER = re.compile(SEMVER_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(value: Any) -> int | None:
    """The moment ``value`` names, in Unix seconds; None when it is not a date."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or not MIN_EPOCH <= value < MAX_EPOCH + 1:
            return None
        return math.floor(value)
    if not isinstance(value, str):
        return None
    found = _DATE.fullmatch(value)
    if found is None:
        return None
    groups = found.groups()
    year, month, day, hour, minute, second = (int(g or 0) for g in groups[:6])
    sign, off_hours, off_minutes = groups[7], int(groups[8] or 0), int(groups[9] or 0)
    if off_hours >= 24 or off_minutes >= 60:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # no such day or time
        return None
    offset = (off_hours * 60 + off_minutes) * 60 * (-1 if sign == "-" else 1)
    return seconds_of(moment) - offset


def seconds_of(moment: datetime) -> int:
    """An aware datetime in Unix seconds (floored)."""
    return (moment - _EPOCH) // timedelta(seconds=1)


def parse_semver(value: Any) -> tuple[int, int, int, int] | None:
    if not isinstance(value, str):
        return None
    return _parse_semver(value) if len(value) <= 64 else _parse_semver.__wrapped__(value)


@functools.lru_cache(maxsize=4096)  # versions repeat across events (`$lib_version`)
def _parse_semver(value: str) -> tuple[int, int, int, int] | None:
    found = _SEMVER.fullmatch(value)
    if found is None:
        return None
    major, minor, patch, fourth = (int(part or 0) for part in found.groups())
    return major, minor, patch, fourth


def semver_key(version: tuple[int, ...]) -> str:
    """A text that sorts (byte-wise) as the version does: each part zero-padded."""
    return "".join(f"{part:0{SEMVER_KEY_WIDTH}d}" for part in version)


def semver_key_of(value: Any) -> str | None:
    version = parse_semver(value)
    return None if version is None else semver_key(version)


__all__ = [
    "DATE_PATTERN", "MAX_EPOCH", "MIN_EPOCH", "SEMVER_KEY_WIDTH", "SEMVER_PATTERN", "epoch_seconds",
    "parse_semver", "seconds_of", "semver_key", "semver_key_of",
]
