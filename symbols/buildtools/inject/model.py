"""What injection works on: pairs of a script and its map, and why one is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class InjectError(ValueError):
    """A pair that cannot be injected; the message says why, in one line."""


class PairState(str, Enum):
    NEW = "new"  # neither file carries a chunk id: inject both
    MAP_PENDING = "map_pending"  # the script is injected, the map is not yet
    INJECTED = "injected"  # both carry the same chunk id: nothing to do


@dataclass
class Pair:
    script: Path
    map: Path
    chunk_id: str
    state: PairState
    script_text: str = field(repr=False)
    map_doc: dict = field(repr=False)


@dataclass(frozen=True)
class Skipped:
    """A script that is not a pair (no map); not an error."""

    script: Path
    reason: str
    # The script's ``//# chunkId=``: injected, its map since deleted (``upload --delete-after``).
    chunk_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """A script or map that cannot be handled; reported, and the files are left untouched."""

    path: Path
    reason: str


@dataclass
class Scan:
    pairs: list[Pair] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
