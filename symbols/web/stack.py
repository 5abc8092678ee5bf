"""An event's resolved exceptions as the issue page shows them: each exception's frames,
innermost first, with the source lines the pipeline stored with each frame
(``stack_frames`` rows), and for a frame that did not resolve the reason in words and the
symbol set it waits for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..db.events import stack_frames_by_raw_id
from .context import WebContext
from .words import resolve_failure_words

MAX_EXCEPTIONS = 10
MAX_FRAMES = 200  # per exception; the rest is counted, not shown


@dataclass(frozen=True)
class ExceptionView:
    type: str
    value: str
    frames: list[dict]
    hidden: int  # frames past MAX_FRAMES


def _text(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _frames_of(exception: dict) -> list[dict]:
    stack = exception.get("stacktrace")
    frames = stack.get("frames") if isinstance(stack, dict) else None
    return [f for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def _frame(frame: dict, row) -> dict:
    resolved = frame.get("resolved") is True and not frame.get("resolve_failure")
    ref = (row.symbol_set_ref if row is not None else None) or frame.get("symbol_set_ref")
    return {
        "function": _text(frame.get("resolved_name") or frame.get("mangled_name")) or "(anonymous)",
        "source": _text(frame.get("source")) or None,
        "line": frame.get("line"),
        "column": frame.get("column"),
        "in_app": frame.get("in_app") is not False,
        "resolved": resolved,
        "failure": None if resolved else frame.get("resolve_failure"),
        "why": None if resolved else resolve_failure_words(frame.get("resolve_failure")),
        "ref": None if resolved else ref,
        "context": row.context if row is not None and isinstance(row.context, dict) else None,
    }


async def exceptions_of(ctx: WebContext, project_id: int, properties: dict) -> list[ExceptionView]:
    """The event's ``$exception_list`` ready to show (innermost frame first)."""
    raw = properties.get("$exception_list")
    exceptions = [e for e in raw if isinstance(e, dict)][:MAX_EXCEPTIONS] if isinstance(raw, list) else []
    shown = [list(reversed(_frames_of(e)))[:MAX_FRAMES] for e in exceptions]
    raw_ids = sorted({f["raw_id"] for fs in shown for f in fs if isinstance(f.get("raw_id"), str)})
    async with ctx.db.connect() as conn:
        rows = {r.raw_id: r for r in await stack_frames_by_raw_id(conn, project_id, raw_ids)}
    return [
        ExceptionView(
            type=_text(e.get("type"), 200) or "Error",
            value=_text(e.get("value")),
            frames=[_frame(f, rows.get(f["raw_id"]) if isinstance(f.get("raw_id"), str) else None)
                    for f in frames],
            hidden=max(0, len(_frames_of(e)) - MAX_FRAMES),
        )
        for e, frames in zip(exceptions, shown, strict=True)
    ]


def waiting_refs(exceptions: Sequence[ExceptionView]) -> list[str]:
    """The chunk ids or URLs of the symbol sets that unresolved frames still need."""
    refs = {f["ref"] for e in exceptions for f in e.frames if f["failure"] == "NoSourcemapUploaded" and f["ref"]}
    return sorted(refs)


__all__ = ["ExceptionView", "exceptions_of", "waiting_refs"]
