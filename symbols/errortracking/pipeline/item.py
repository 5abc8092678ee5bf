"""One event as it goes through the pipeline's stages, and what each stage adds to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...db.issues import LinkedIssue
from ..capture import CapturedEvent
from ..fingerprint import Fingerprint
from ..ruleset import GroupMatch


@dataclass(slots=True)
class Item:
    project_id: int
    event: CapturedEvent
    # The properties as they stand after the last stage.
    props: dict[str, Any]
    # The pre-processed exceptions (resolved after resolution); None: stored as it came.
    exceptions: list[dict[str, Any]] | None
    # Resolved frames with their context and symbol_set_ref, for the stack_frames rows.
    frames: list[dict[str, Any]] = field(default_factory=list)
    # Chunk ids / URLs of symbol sets not uploaded yet that frames of this event named.
    awaiting: set[str] = field(default_factory=set)
    # Of those, the chunk ids (or debug ids): placeholder sets record them.
    missing_chunk_ids: set[str] = field(default_factory=set)
    # What grouping and suppression rules see (``rules_view``), built once when asked.
    view: dict[str, Any] | None = None
    group: GroupMatch | None = None
    fingerprint: Fingerprint | None = None
    issue: LinkedIssue | None = None

    @property
    def is_exception(self) -> bool:
        return self.exceptions is not None


__all__ = ["Item"]
