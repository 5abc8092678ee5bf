"""Late symbols: when a symbol set is processed, the events that waited for it are resolved
again (a feature beyond PostHog and Sentry, which keep such frames unresolved forever).

``reresolve_awaiting(db, resolver, project_id, ref)`` takes the events recorded as waiting
for ``ref`` (a chunk id or script URL; ``db.events.await_symbols``) in bounded batches. In
each event, a frame still waiting for ``ref`` (its ``symbol_set_ref``, or a chunk id while
its script is at the URL ``ref``) is looked up again, at its minified position, in the set
now present; resolved frames replace the stored ones in ``$exception_list`` (and
``$exception_sources``/``$exception_functions`` follow), their ``stack_frames`` rows are
updated, and the event stops waiting for ``ref``. The fingerprint and the
issue do not change: an event never moves to another issue after it was counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import Database
from ..db.events import (
    events_awaiting,
    events_by_uuid,
    stop_awaiting,
    update_event_properties,
    upsert_stack_frames,
)
from ..resolve import Frame
from .fingerprint import Fingerprint, resolved_frames
from .pipeline.resolution import AWAITING, FrameResolver
from .platforms import script_path
from .properties import output_properties

BATCH = 200


@dataclass(frozen=True)
class Reresolved:
    events: int = 0  # events that waited and were looked at
    updated: int = 0  # of those, events whose frames changed
    frames: int = 0  # frames resolved now


async def reresolve_awaiting(
    db: Database, resolver: FrameResolver, project_id: int, ref: str, *, batch: int = BATCH
) -> Reresolved:
    """Resolve again every event waiting for ``ref``, ``batch`` events per transaction."""
    total = Reresolved()
    while True:
        done = await _one_batch(db, resolver, project_id, ref, batch)
        total = Reresolved(total.events + done.events, total.updated + done.updated, total.frames + done.frames)
        if done.events < batch:
            return total


async def _one_batch(db: Database, resolver: FrameResolver, project_id: int, ref: str, limit: int) -> Reresolved:
    async with db.connect() as conn:
        uuids = await events_awaiting(conn, project_id, ref, limit=limit)
        rows = await events_by_uuid(conn, project_id, uuids)
    frames = {f["raw_id"]: f for row in rows for f in _waiting_frames(row.properties, ref)}
    answers = await resolver.resolve(project_id, [_lookup(f, ref) for f in frames.values()]) if frames else []
    # Every waiting frame gets its new outcome: resolved, or the failure the set gave now.
    new = {raw_id: _outcome(frames[raw_id], answer, ref) for raw_id, answer in zip(frames, answers)}
    updates = {}
    for row in rows:
        props = _with_frames(row.properties, new, ref)
        if props is not None:
            updates[row.uuid] = props
    resolved = [f for f in new.values() if f is not None and f["resolved"]]
    async with db.begin() as conn:
        await update_event_properties(conn, project_id, updates)
        await upsert_stack_frames(conn, project_id, [{**f, "symbol_set_ref": ref} for f in resolved])
        await stop_awaiting(conn, project_id, ref, uuids)
    return Reresolved(len(uuids), len(updates), len(resolved))


def _waiting(frame: Any, ref: str) -> bool:
    """Whether ``frame`` waits for ``ref``: it names it, or it waits for a chunk id or debug
    id and its script is at ``ref`` (a set found by URL resolves it as the resolver would)."""
    if not isinstance(frame, dict) or not isinstance(frame.get("raw_id"), str) or frame.get(AWAITING) is None:
        return False
    return frame[AWAITING] == ref or _waits_by_id_at(frame, ref)


def _waits_by_id_at(frame: dict[str, Any], url: str) -> bool:
    return frame[AWAITING] != url and frame.get("source") is not None and frame["source"] == script_path(url)


def _waiting_frames(props: dict[str, Any], ref: str):
    for exception in _exceptions(props):
        yield from (f for f in resolved_frames(exception) or () if _waiting(f, ref))


def _exceptions(props: dict[str, Any]) -> list[dict]:
    items = props.get("$exception_list")
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def _outcome(frame: dict[str, Any], answer: dict[str, Any], ref: str) -> dict[str, Any] | None:
    """The frame now; None when it stays as it is (a frame waiting for its chunk id that
    its URL did not resolve goes on waiting for that id)."""
    if answer["resolved"]:
        return {**answer, "raw_id": frame["raw_id"]}
    if frame[AWAITING] != ref:
        return None
    unchanged = {k: v for k, v in frame.items() if k != AWAITING}
    return {**unchanged, "resolve_failure": answer["resolve_failure"]}


def _lookup(frame: dict[str, Any], ref: str) -> Frame:
    """A resolver frame at the stored minified position, naming the set by the id or URL it
    waits for and the script URL ``ref`` (the resolver takes the first as a chunk id, then
    the URL)."""
    return Frame(
        filename=ref, function=frame.get("mangled_name"), lineno=frame.get("line"), colno=frame.get("column"),
        in_app=frame.get("in_app"), chunk_id=frame[AWAITING], platform="web:javascript",
    )


def _with_frames(props: dict[str, Any], resolved: dict[str, dict], ref: str) -> dict[str, Any] | None:
    """``props`` with the frames looked up now; None when none of its frames is among them."""
    changed = False
    exceptions = []
    for exception in _exceptions(props):
        frames = resolved_frames(exception)
        if frames:
            new = [(resolved.get(f["raw_id"]) or f) if _waiting(f, ref) else f for f in frames]
            changed |= any(a is not b for a, b in zip(new, frames))
            exception = {**exception, "stacktrace": {**exception["stacktrace"], "frames": new}}
        exceptions.append(exception)
    if not changed:
        return None
    fp = Fingerprint(props.get("$exception_fingerprint", ""), props.get("$exception_proposed_fingerprint", ""),
                     props.get("$exception_fingerprint_record") or [])
    return output_properties(props, exceptions, fp, props.get("$exception_issue_id", ""),
                             releases=props.get("$exception_releases"))


__all__ = ["BATCH", "Reresolved", "reresolve_awaiting"]
