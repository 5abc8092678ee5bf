"""Placeholder symbol sets in the pipeline and the database: a placeholder never stands
in for a map (a frame naming one resolves by its URL), and the per-project cap holds
for refs an upload could fill, per project, and under concurrent writers. The flow over
HTTP (capture, listing, upload, cross-project) is tests/api/test_placeholders.py."""

from __future__ import annotations

import asyncio

from symbols.db.access import create_project
from symbols.db.symbol_sets import get_symbol_set_by_ref, list_symbol_sets, record_placeholders
from tests.support.pipeline import APP_URL, app_exception, captured, frames_of


async def _invalid(harness, project_id: int | None = None) -> list[str]:
    async with harness.db.connect() as conn:
        sets, _ = await list_symbol_sets(conn, project_id or harness.project_id, status="invalid", order_by="ref")
    return [s.ref for s in sets]


async def test_a_frame_naming_a_placeholder_resolves_by_its_url(harness):
    early = captured({"$exception_list": [app_exception(chunk_id="chunk-missing")]})
    await harness.publish(early)
    await harness.drain()
    assert await _invalid(harness) == ["chunk-missing"]

    await harness.upload(APP_URL)  # the map uploaded for the script's URL, not its chunk id
    later = captured({"$exception_list": [app_exception(chunk_id="chunk-missing")]})
    await harness.publish(later)
    await harness.drain()
    frames = frames_of((await harness.event(later.uuid)).properties)
    assert [f["resolved_name"] for f in frames] == ["main", "orderTotal", "lineTotal", "checkedQuantity"]
    async with harness.db.connect() as conn:
        placeholder = await get_symbol_set_by_ref(conn, harness.project_id, "chunk-missing")
    assert placeholder.placeholder and placeholder.last_used is None  # never used to resolve


async def test_the_cap_counts_per_project_and_only_refs_an_upload_could_fill(harness):
    async with harness.db.begin() as conn:
        other = (await create_project(conn, "other")).id
        assert await record_placeholders(conn, harness.project_id, [f"bogus-{i}" for i in range(8)], cap=5) == 5
        assert await record_placeholders(conn, harness.project_id, ["bogus-x", "bogus-0"], cap=5) == 0
        assert await record_placeholders(conn, harness.project_id, ["x" * 401, "a\x00b", "", "  "], cap=50) == 0
        assert await record_placeholders(conn, other, ["bogus-0", "bogus-1"], cap=5) == 2  # its own cap
    assert await _invalid(harness) == [f"bogus-{i}" for i in range(5)]
    assert await _invalid(harness, other) == ["bogus-0", "bogus-1"]


async def test_concurrent_writers_never_pass_the_cap(harness):
    recorded = asyncio.Event()

    async def first() -> int:
        async with harness.db.begin() as conn:
            added = await record_placeholders(conn, harness.project_id, ["a-0", "a-1", "a-2"], cap=4)
            recorded.set()
            await asyncio.sleep(0.3)  # the second writer tries meanwhile
        return added

    async def second() -> int:
        await recorded.wait()
        async with harness.db.begin() as conn:
            return await record_placeholders(conn, harness.project_id, ["b-0", "b-1", "b-2"], cap=4)

    assert await asyncio.gather(first(), second()) == [3, 1]
    assert await _invalid(harness) == ["a-0", "a-1", "a-2", "b-0"]
