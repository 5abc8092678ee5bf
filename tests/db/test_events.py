"""Events stored once, stack frames kept by raw id, events awaiting a symbol set."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import orjson
from sqlalchemy import func, select

from symbols.db import access, symbol_sets
from symbols.db import events as store
from symbols.db.tables import frames_awaiting_symbols, jobs

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _project(db) -> int:
    async with db.begin() as conn:
        return (await access.create_project(conn, "web")).id


def _row(project_id: int, event_uuid: str, **props) -> store.EventRow:
    return store.EventRow(project_id, event_uuid, "$exception", "user-1", T0, {"$lib": "web", **props})


async def test_an_event_is_stored_once(database):
    team = await _project(database)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    async with database.begin() as conn:
        assert await store.insert_events(conn, [_row(team, a, n=1)]) == {(team, a)}
    async with database.begin() as conn:
        stored = await store.insert_events(conn, [_row(team, a, n=2), _row(team, b, n=3)])
    assert stored == {(team, b)}
    async with database.connect() as conn:
        rows = await store.events_by_uuid(conn, team, [a, b])
        assert await store.stored_uuids(conn, team, [a, b, str(uuid.uuid4())]) == {a, b}
    assert {r.uuid: r.properties["n"] for r in rows} == {a: 1, b: 3}
    assert all(r.timestamp == T0 for r in rows)


async def test_stack_frames_keep_the_newest_resolution(database):
    team = await _project(database)
    unresolved = {"raw_id": "r1", "resolved": False, "symbol_set_ref": "chunk-1", "mangled_name": "t"}
    resolved = {"raw_id": "r1", "resolved": True, "resolved_name": "main", "context": {"line": {"number": 3}}}
    async with database.begin() as conn:
        await store.upsert_stack_frames(conn, team, [unresolved])
        await store.upsert_stack_frames(conn, team, [resolved, {"raw_id": "r2", "resolved": False}])
    async with database.connect() as conn:
        rows = {r.raw_id: r for r in await store.stack_frames_by_raw_id(conn, team, ["r1", "r2", "r3"])}
    assert set(rows) == {"r1", "r2"}
    assert rows["r1"].resolved and rows["r1"].contents["resolved_name"] == "main"
    assert rows["r1"].context == {"line": {"number": 3}}


async def test_awaiting_symbols_is_bounded_per_ref(database, monkeypatch):
    monkeypatch.setattr(store, "MAX_AWAITING_PER_REF", 3)
    team = await _project(database)
    events = [str(uuid.uuid4()) for _ in range(5)]
    async with database.begin() as conn:
        await store.await_symbols(conn, team, {e: {"chunk-a"} for e in events[:3]})
        await store.await_symbols(conn, team, {e: {"chunk-a", "chunk-b"} for e in events[3:]})
    async with database.connect() as conn:
        waiting_a = await store.events_awaiting(conn, team, "chunk-a")
        waiting_b = await store.events_awaiting(conn, team, "chunk-b")
    assert sorted(waiting_a) == sorted(events[:3]) and sorted(waiting_b) == sorted(events[3:])
    async with database.begin() as conn:
        await store.stop_awaiting(conn, team, "chunk-a", waiting_a)
    async with database.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(frames_awaiting_symbols))).scalar_one()
    assert count == 2


async def test_events_stored_after_their_set_was_processed_or_failed_are_woken(database):
    """The set's own wake-up ran before these events were stored as waiting (the pipeline's
    queued fetch can finish first): storing them enqueues it again, for those refs only."""
    team = await _project(database)
    async with database.begin() as conn:
        done = await symbol_sets.insert_symbol_set(conn, project_id=team, ref="https://a.test/done.js",
                                                   storage_ptr="p/done")
        await symbol_sets.mark_processed(conn, done, "p/done")
        failed = await symbol_sets.insert_symbol_set(conn, project_id=team, ref="https://a.test/gone.js",
                                                     storage_ptr=None)
        await symbol_sets.set_failure_reason(conn, failed, '{"kind": "FetchFailed"}')
        await symbol_sets.insert_symbol_set(conn, project_id=team, ref="chunk-pending", storage_ptr="p/pending")
        await store.await_symbols(conn, team, {str(uuid.uuid4()): {
            "https://a.test/done.js", "https://a.test/gone.js", "chunk-pending", "chunk-never-uploaded"}})
    async with database.connect() as conn:
        rows = (await conn.execute(select(jobs.c.kind, jobs.c.payload).order_by(jobs.c.id))).all()
    assert [(r.kind, orjson.loads(r.payload)) for r in rows] == [
        ("resolve_waiting_events", {"ref": "https://a.test/done.js"}),
        ("resolve_waiting_events", {"ref": "https://a.test/gone.js"}),
    ]


async def _set_being_processed(db, team: int) -> str:
    async with db.begin() as conn:
        return await symbol_sets.insert_symbol_set(conn, project_id=team, ref="chunk-race", storage_ptr="ptr",
                                                   content_hash="ab" * 32, size_bytes=1)


async def _wake_jobs(db, team: int) -> list[dict]:
    async with db.connect() as conn:
        rows = await conn.execute(select(jobs.c.payload).where(
            jobs.c.project_id == team, jobs.c.kind == store.RESOLVE_WAITING_EVENTS))
        return [orjson.loads(r.payload) for r in rows]


async def test_waits_stored_while_their_set_is_marked_processed_are_woken(database):
    """Storing waits and marking their set processed at the same time: whichever commits
    last sees the other (PostgreSQL: the stored waits share-lock the set row)."""
    team = await _project(database)
    set_id = await _set_being_processed(database, team)

    async def process() -> list[int]:
        async with database.begin() as conn:
            assert await symbol_sets.mark_processed(conn, set_id, "ptr")
            return await store.enqueue_waiting_events(conn, set_id)

    async with database.begin() as storing:  # the waits are stored first, committed last
        await store.await_symbols(storing, team, {str(uuid.uuid4()): {"chunk-race"}})
        processing = asyncio.create_task(process())
        await asyncio.sleep(0.3)  # the processing reaches the set row and waits
    assert len(await processing) == 1
    assert await _wake_jobs(database, team) == [{"ref": "chunk-race"}]


async def test_waits_stored_after_their_set_was_marked_but_before_it_committed_are_woken(database):
    team = await _project(database)
    set_id = await _set_being_processed(database, team)

    async def store_waits() -> None:
        async with database.begin() as conn:
            await store.await_symbols(conn, team, {str(uuid.uuid4()): {"chunk-race"}})

    async with database.begin() as processing:  # marked first, committed while the waits are stored
        assert await symbol_sets.mark_processed(processing, set_id, "ptr")
        assert await store.enqueue_waiting_events(processing, set_id) == []
        storing = asyncio.create_task(store_waits())
        await asyncio.sleep(0.3)  # the waits are inserted and their check waits for the set row
    await storing
    assert await _wake_jobs(database, team) == [{"ref": "chunk-race"}]
