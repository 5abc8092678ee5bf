"""Placeholder symbol sets: chunk ids that stored events' frames ask for but nobody
uploaded are recorded (PostHog's ``status=invalid`` list of maps a team still has to
upload), capped per project; a late upload fills the placeholder and the waiting events
resolve (real database, stream and resolution layers)."""

from __future__ import annotations

from symbols.db.access import create_project
from symbols.db.symbol_sets import get_symbol_set_by_ref, list_symbol_sets, record_placeholders
from symbols.errortracking.reresolve import reresolve_awaiting
from tests.support.pipeline import app_exception, captured, frames_of


async def _invalid(harness) -> list[str]:
    async with harness.db.connect() as conn:
        sets, _ = await list_symbol_sets(conn, harness.project_id, status="invalid", order_by="ref")
    return [s.ref for s in sets]


async def test_frames_of_missing_chunk_ids_leave_placeholders_until_the_upload(harness):
    events = [captured({"$exception_list": [app_exception(chunk_id="chunk-missing")]}) for _ in range(2)]
    by_url = captured({"$exception_list": [app_exception(chunk_id=None)]})  # a URL, not a chunk id
    await harness.publish(*events, by_url)
    await harness.drain()
    assert await _invalid(harness) == ["chunk-missing"]
    async with harness.db.connect() as conn:
        placeholder = await get_symbol_set_by_ref(conn, harness.project_id, "chunk-missing")
    assert (placeholder.storage_ptr, placeholder.uploaded_at, placeholder.failure_reason) == (None, None, None)
    # A frame naming the placeholder still waits for it (not a failed set).
    frames = frames_of((await harness.event(events[0].uuid)).properties)
    assert {f["resolve_failure"] for f in frames} == {"NoSourcemapUploaded"}

    assert await harness.upload("chunk-missing") == placeholder.id
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-missing")
    assert done.events == 2
    assert {f["resolved"] for f in frames_of((await harness.event(events[1].uuid)).properties)} == {True}
    assert await _invalid(harness) == []


async def test_a_flood_of_made_up_chunk_ids_stops_at_the_cap(harness):
    async with harness.db.begin() as conn:
        other = (await create_project(conn, "other")).id
        assert await record_placeholders(conn, harness.project_id, [f"bogus-{i}" for i in range(8)], cap=5) == 5
        assert await record_placeholders(conn, harness.project_id, ["bogus-x", "bogus-0"], cap=5) == 0
        assert await record_placeholders(conn, harness.project_id, ["x" * 401, "a\x00b", ""], cap=50) == 0
        assert await record_placeholders(conn, other, ["bogus-0", "bogus-1"], cap=5) == 2  # its own cap
        _, count = await list_symbol_sets(conn, harness.project_id, status="invalid")
    assert count == 5
    assert await _invalid(harness) == [f"bogus-{i}" for i in range(5)]
