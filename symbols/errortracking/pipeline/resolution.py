"""Resolution stage: every frame of a batch's exceptions in the resolved shape.

JavaScript frames with a position go to the resolution layers in ONE call per project
and batch (identical frames, common when one error repeats, are asked once); the others
take cymbal's per-platform shape (``platforms.passthrough``). A frame the resolver cannot
map keeps its failure in ``resolve_failure`` and never fails the batch. Frames naming a
symbol set that is not uploaded yet (``NoSourcemapUploaded``) put its chunk id or URL in
``item.awaiting`` and in the frame's ``symbol_set_ref``, so a late upload of that set can
resolve the event again (``reresolve``); resolved frames carry no such key. A frame
waiting for a chunk id or debug id waits for its script URL too (the resolver looks
there next).

The event's frames carry no source context (it would bloat every event); the context goes
with the frame's ``stack_frames`` row, which ``stack_frames/batch_get`` serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ...resolve import Frame
from ...resolve.frames import NO_SOURCEMAP_UPLOADED, script_url
from ..platforms import (
    needs_symbols,
    passthrough,
    resolved_stack,
    unresolved_js,
)
from .item import Item

# On a frame waiting for its symbol set: that set's ref, so a late upload finds the frame.
AWAITING = "symbol_set_ref"


class FrameResolver(Protocol):
    async def resolve(self, project_id: int, frames: list[Frame]) -> list[dict]: ...


def symbol_set_ref(frame: dict[str, Any]) -> str | None:
    """The ref (chunk id, debug id, else script URL as the resolver matches it) of the
    symbol set a raw frame needs."""
    if frame["chunk_id"] or frame.get("debug_id"):
        return frame["chunk_id"] or frame["debug_id"]
    return script_url(frame["filename"]) if frame.get("filename") else None


def to_resolver_frame(frame: dict[str, Any]) -> Frame:
    return Frame(
        filename=frame["filename"], function=frame["function"], lineno=frame["lineno"],
        colno=frame["colno"], in_app=frame["in_app"], chunk_id=frame["chunk_id"],
        platform=frame["platform"], debug_id=frame.get("debug_id"),
    )


def shape_resolved(frame: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The resolver's answer for a raw frame in the event's shape (cymbal's raw id kept)."""
    if answer["resolved"]:
        shaped = {key: value for key, value in answer.items() if key != "explain"}
        shaped["raw_id"] = frame["raw_id"]
        return shaped
    return unresolved_js(frame, answer["resolve_failure"])


async def resolve_items(resolver: FrameResolver, project_id: int, items: Sequence[Item]) -> None:
    """Resolve the frames of ``items`` (all of ``project_id``) in place."""
    wanted: dict[tuple[str, str | None], Frame] = {}
    for frame in _raw_frames(items):
        key = (frame["raw_id"], frame["chunk_id"])
        if key not in wanted and needs_symbols(frame):
            wanted[key] = to_resolver_frame(frame)
    answers = dict(zip(wanted, await resolver.resolve(project_id, list(wanted.values())))) if wanted else {}
    # One shaped frame per distinct JavaScript frame of the batch, shared by the events
    # that have it (nothing downstream changes a frame in place).
    shaped_js: dict[tuple, tuple[dict, dict]] = {}
    for item in items:
        for exception in item.exceptions or ():
            stack = exception.get("stacktrace")
            if stack is None:
                continue
            frames = []
            for raw in stack["frames"]:
                if needs_symbols(raw):
                    key = (raw["raw_id"], raw["chunk_id"], raw["in_app"])
                    if key not in shaped_js:
                        shaped_js[key] = _split(shape_resolved(raw, answers[key[:2]]), symbol_set_ref(raw))
                    shaped, row = shaped_js[key]
                    if AWAITING in shaped:
                        item.awaiting.add(shaped[AWAITING])
                        if raw["chunk_id"] or raw.get("debug_id"):
                            item.missing_chunk_ids.add(shaped[AWAITING])
                            # A set found by the script's URL (fetched, or uploaded with
                            # that URL) wakes the frame too (``reresolve``).
                            if raw.get("filename"):
                                item.awaiting.add(script_url(raw["filename"]))
                else:
                    shaped, row = _split(passthrough(raw), None)
                item.frames.append(row)
                frames.append(shaped)
            exception["stacktrace"] = resolved_stack(frames)


def _split(shaped: dict[str, Any], ref: str | None) -> tuple[dict, dict]:
    """The frame for the event (no context; the ref only while it waits for its set) and
    the one for its ``stack_frames`` row (with both)."""
    context = shaped.pop("context", None)
    if shaped["resolve_failure"] == NO_SOURCEMAP_UPLOADED and ref:
        shaped[AWAITING] = ref
    return shaped, {**shaped, "context": context, "symbol_set_ref": ref}


def _raw_frames(items: Sequence[Item]):
    for item in items:
        for exception in item.exceptions or ():
            stack = exception.get("stacktrace")
            if stack is not None:
                yield from stack["frames"]


__all__ = ["AWAITING", "FrameResolver", "resolve_items", "shape_resolved", "symbol_set_ref", "to_resolver_frame"]
