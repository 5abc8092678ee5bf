"""Stored events, resolved stack frames, and the frames that wait for a symbol set.

Events are unique by (project, uuid): ``insert_events`` skips an event stored already and
says which ones it stored, so a redelivered or retried event is neither stored nor counted
twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .jobs import RESOLVE_WAITING_EVENTS, enqueue_job
from .symbol_sets import url_keys
from .tables import events, frames_awaiting_symbols, stack_frames, symbol_sets
from .types import utcnow
from .upsert import insert_ignoring_conflicts, insert_replacing_conflicts

# Events a late symbol set can bring back for resolving, per (project, ref): more are not
# recorded, so a flood of frames naming one missing map cannot grow the table unbounded.
MAX_AWAITING_PER_REF = 1000
# Advisory lock keys per project that waits and new sets take turns on (``lock_refs``).
_LOCK_BUCKETS = 64
# Frame fields stored in their own stack_frames columns, not in ``contents``.
_OWN_COLUMNS = frozenset({"context", "symbol_set_ref"})


@dataclass(frozen=True)
class EventRow:
    project_id: int
    uuid: str
    event: str
    distinct_id: str
    timestamp: datetime
    properties: dict
    person_id: str | None = None
    elements_chain: str | None = None
    issue_id: str | None = None


async def stored_uuids(conn: AsyncConnection, project_id: int, uuids: Iterable[str]) -> set[str]:
    wanted = list(set(uuids))
    if not wanted:
        return set()
    rows = await conn.execute(
        select(events.c.uuid).where(events.c.project_id == project_id, events.c.uuid.in_(wanted))
    )
    return {r.uuid for r in rows}


async def insert_events(conn: AsyncConnection, rows: Sequence[EventRow]) -> set[tuple[int, str]]:
    """Store ``rows``, skipping any stored already; the (project, uuid) of those stored."""
    if not rows:
        return set()
    now = utcnow()
    values = [
        {
            "project_id": r.project_id,
            "uuid": r.uuid,
            "event": r.event,
            "distinct_id": r.distinct_id,
            "person_id": r.person_id,
            "timestamp": r.timestamp,
            "properties": r.properties,
            "elements_chain": r.elements_chain,
            "issue_id": r.issue_id,
            "created_at": now,
        }
        for r in rows
    ]
    statement = insert_ignoring_conflicts(conn, events).returning(events.c.project_id, events.c.uuid)
    result = await conn.execute(statement, values)
    return {(r.project_id, r.uuid) for r in result}


async def upsert_stack_frames(conn: AsyncConnection, team_id: int, frames: Sequence[dict]) -> None:
    """Keep each frame's newest resolution under its raw id (what batch_get serves).

    ``frames`` are resolved frames with ``raw_id``, their source ``context`` and the
    ``symbol_set_ref`` (chunk id or URL) they named, which are kept in their own columns so
    a late upload of that set finds the frame."""
    if not frames:
        return
    now = utcnow()
    unique = {f["raw_id"]: f for f in frames}
    rows = [
        {
            "team_id": team_id,
            "raw_id": raw_id,
            "contents": {k: v for k, v in frame.items() if k not in _OWN_COLUMNS},
            "resolved": bool(frame.get("resolved")),
            "context": frame.get("context"),
            "symbol_set_ref": frame.get("symbol_set_ref"),
            "created_at": now,
        }
        for raw_id, frame in sorted(unique.items())  # one lock order for concurrent writers
    ]
    columns = ("contents", "resolved", "context", "symbol_set_ref", "created_at")
    await conn.execute(insert_replacing_conflicts(conn, stack_frames, ("team_id", "raw_id"), columns), rows)


async def stack_frames_by_raw_id(conn: AsyncConnection, team_id: int, raw_ids: Sequence[str]) -> list:
    if not raw_ids:
        return []
    rows = await conn.execute(
        select(stack_frames).where(stack_frames.c.team_id == team_id, stack_frames.c.raw_id.in_(list(raw_ids)))
    )
    return list(rows)


async def await_symbols(conn: AsyncConnection, team_id: int, refs_by_event: dict[str, set[str]]) -> None:
    """Remember events whose frames named a symbol set that was not uploaded yet."""
    pairs = [(ref, event_uuid) for event_uuid, refs in refs_by_event.items() for ref in refs]
    if not pairs:
        return
    counts: dict[str, int] = {}
    for ref, _ in pairs:
        counts[ref] = counts.get(ref, 0) + 1
    full = await _full_refs(conn, team_id, list(counts))
    now = utcnow()
    rows = [
        {"team_id": team_id, "ref": ref[:400], "event_uuid": event_uuid, "created_at": now}
        for ref, event_uuid in pairs
        if ref not in full
    ]
    if not rows:
        return
    refs = sorted({row["ref"] for row in rows})
    await lock_refs(conn, team_id, refs)
    await conn.execute(insert_ignoring_conflicts(conn, frames_awaiting_symbols), rows)
    # A set processed (or failed: a fetch the pipeline queued) since these frames were
    # resolved woke its waiting events before these were stored: wake them now. The sets are
    # share-locked whatever their state (PostgreSQL): a processing that marks one after this
    # read waits for this commit, and then sees these waits; one marked first is read here.
    there = await conn.execute(
        select(symbol_sets.c.ref, symbol_sets.c.processed_at, symbol_sets.c.failure_reason)
        .where(symbol_sets.c.team_id == team_id, symbol_sets.c.ref.in_(refs))
        .order_by(symbol_sets.c.ref)
        .with_for_update(read=True)
    )
    for ref in sorted(r.ref for r in there if r.processed_at is not None or r.failure_reason is not None):
        await enqueue_job(conn, RESOLVE_WAITING_EVENTS, {"ref": ref}, team_id)


async def lock_refs(conn: AsyncConnection, team_id: int, refs: Sequence[str], *, exclusive: bool = False) -> None:
    """Until the commit, hold ``refs`` of the project shared (waits being stored for them)
    or exclusive (a set being recorded under one). On PostgreSQL a set row inserted now is
    invisible to the waits' share-locking read, so only these advisory locks, keyed by
    (project, bucket of the ref), order a new set (a fetch's recorded failure) against
    waits stored in the same instant; SQLite has one writer at a time. Refs share
    ``_LOCK_BUCKETS`` buckets: a batch naming thousands holds a bounded number of locks
    (PostgreSQL's lock table is small), at the price of a rare wait between refs."""
    if conn.dialect.name != "postgresql" or not refs:
        return
    buckets = sorted({zlib.crc32(ref.encode()) % _LOCK_BUCKETS for ref in refs})
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await conn.execute(text(f"SELECT count({lock}(CAST(:team AS integer), b)) FROM unnest(CAST(:buckets AS integer[])) AS b"),
                       {"team": team_id, "buckets": buckets})


async def _full_refs(conn: AsyncConnection, team_id: int, refs: list[str]) -> set[str]:
    rows = await conn.execute(
        select(frames_awaiting_symbols.c.ref)
        .where(frames_awaiting_symbols.c.team_id == team_id, frames_awaiting_symbols.c.ref.in_(refs))
        .group_by(frames_awaiting_symbols.c.ref)
        .having(func.count() >= MAX_AWAITING_PER_REF)
    )
    return {r.ref for r in rows}


async def events_awaiting(conn: AsyncConnection, team_id: int, ref: str, *, limit: int = 500) -> list[str]:
    rows = await conn.execute(
        select(frames_awaiting_symbols.c.event_uuid)
        .where(frames_awaiting_symbols.c.team_id == team_id, frames_awaiting_symbols.c.ref == ref)
        .limit(limit)
    )
    return [r.event_uuid for r in rows]


async def enqueue_waiting_events(conn: AsyncConnection, symbol_set_id: str) -> list[int]:
    """In the transaction that marks a set processed: a ``RESOLVE_WAITING_EVENTS`` job per
    ref events wait for by this set (its ref, and script URLs its ``url`` matches)."""
    row = (
        await conn.execute(
            select(symbol_sets.c.team_id, symbol_sets.c.ref, symbol_sets.c.url).where(symbol_sets.c.id == symbol_set_id)
        )
    ).first()
    if row is None:
        return []
    waiting = frames_awaiting_symbols.c
    condition = waiting.ref == row.ref
    if row.url:
        condition = or_(condition, waiting.ref.endswith(row.url.removeprefix("~"), autoescape=True))
    refs = await conn.execute(
        select(waiting.ref).where(waiting.team_id == row.team_id, condition).group_by(waiting.ref).limit(100)
    )
    wanted = [r.ref for r in refs if r.ref == row.ref or (row.url and row.url in url_keys(r.ref))]
    return [await enqueue_job(conn, RESOLVE_WAITING_EVENTS, {"ref": ref}, row.team_id) for ref in sorted(wanted)]


async def stop_awaiting(conn: AsyncConnection, team_id: int, ref: str, event_uuids: Sequence[str]) -> None:
    if not event_uuids:
        return
    await conn.execute(
        delete(frames_awaiting_symbols).where(
            and_(
                frames_awaiting_symbols.c.team_id == team_id,
                frames_awaiting_symbols.c.ref == ref,
                frames_awaiting_symbols.c.event_uuid.in_(list(event_uuids)),
            )
        )
    )


async def update_event_properties(conn: AsyncConnection, project_id: int, properties: dict[str, dict]) -> None:
    """Replace the properties of stored events (``{uuid: properties}``)."""
    if not properties:
        return
    statement = (
        update(events)
        .where(events.c.project_id == project_id, events.c.uuid == bindparam("event_uuid"))
        .values(properties=bindparam("props", type_=events.c.properties.type))
    )
    await conn.execute(statement, [{"event_uuid": u, "props": p} for u, p in sorted(properties.items())])


async def events_by_uuid(conn: AsyncConnection, project_id: int, uuids: Sequence[str]) -> list:
    if not uuids:
        return []
    rows = await conn.execute(
        select(events).where(events.c.project_id == project_id, events.c.uuid.in_(list(uuids)))
    )
    return list(rows)

