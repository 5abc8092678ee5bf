"""Late symbols: events stored before their symbol set was uploaded are resolved again,
their issue and fingerprint untouched (real database, stream and resolution layers)."""

from __future__ import annotations

from symbols.db.events import events_awaiting, stack_frames_by_raw_id
from symbols.errortracking.reresolve import reresolve_awaiting
from symbols.symbol_sets.fetched import record_fetched
from tests.support.pipeline import APP, APP_URL, app_exception, captured, frames_of

APP_MAP = APP.with_name(APP.name + ".map")


async def test_a_late_upload_resolves_waiting_events_in_place(harness):
    early = [captured({"$exception_list": [app_exception(chunk_id="chunk-late")]}) for _ in range(3)]
    elsewhere = captured({"$exception_list": [app_exception(chunk_id="chunk-other")]})
    await harness.publish(*early, elsewhere)
    await harness.drain()
    before = (await harness.event(early[0].uuid)).properties
    assert {f["resolved"] for f in frames_of(before)} == {False}
    issues_before = [(i.id, i.occurrences) for i in await harness.issues()]

    await harness.upload("chunk-late")
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-late", batch=2)

    assert (done.events, done.updated) == (3, 3)
    for event in early:
        row = await harness.event(event.uuid)
        frames = frames_of(row.properties)
        assert [(f["resolved_name"], f["line"], f["resolved"]) for f in frames] == [
            ("main", 9, True), ("orderTotal", 17, True), ("lineTotal", 4, True), ("checkedQuantity", 9, True)]
        assert [f["raw_id"] for f in frames] == [f["raw_id"] for f in frames_of(before)]
        assert row.properties["$exception_functions"] == ["main", "orderTotal", "lineTotal", "checkedQuantity"]
        assert row.properties["$exception_sources"] == ["../../src/index.js", "../../src/math.js"]
        # The issue and the fingerprint stay: the event was counted on them already.
        assert row.issue_id == before["$exception_issue_id"]
        assert row.properties["$exception_fingerprint"] == before["$exception_fingerprint"]
        assert row.properties["$exception_issue_id"] == before["$exception_issue_id"]
    assert [(i.id, i.occurrences) for i in await harness.issues()] == issues_before
    untouched = (await harness.event(elsewhere.uuid)).properties
    assert {f["resolve_failure"] for f in frames_of(untouched)} == {"NoSourcemapUploaded"}

    async with harness.db.connect() as conn:
        assert await events_awaiting(conn, harness.project_id, "chunk-late") == []
        assert await events_awaiting(conn, harness.project_id, "chunk-other") == [elsewhere.uuid]
        rows = await stack_frames_by_raw_id(conn, harness.project_id, [f["raw_id"] for f in frames_of(before)])
    assert {(r.resolved, r.symbol_set_ref) for r in rows} == {(True, "chunk-late")}
    assert all(r.context is not None for r in rows)

    again = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-late")
    assert again.events == 0


async def test_frames_the_late_set_cannot_map_get_its_failure_and_stop_waiting(harness):
    exception = app_exception(chunk_id="chunk-late")
    exception["stacktrace"]["frames"][-1]["lineno"] = 40  # the bundle has one line
    event = captured({"$exception_list": [exception]})
    await harness.publish(event)
    await harness.drain()

    await harness.upload("chunk-late")
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-late")

    frames = frames_of((await harness.event(event.uuid)).properties)
    assert (done.events, done.updated, done.frames) == (1, 1, 3)
    assert [f["resolve_failure"] for f in frames] == [None, None, None, "TokenNotFound"]
    assert [f["resolved"] for f in frames] == [True, True, True, False]
    assert all("symbol_set_ref" not in f for f in frames)
    async with harness.db.connect() as conn:
        assert await events_awaiting(conn, harness.project_id, "chunk-late") == []


async def test_frames_waiting_for_a_chunk_id_resolve_by_a_set_found_at_their_url(harness):
    """The chunk id was never uploaded; the set fetched for the script's URL resolves the
    frames (as the resolver would have looked there next)."""
    event = captured({"$exception_list": [app_exception(chunk_id="chunk-never-uploaded")]})
    await harness.publish(event)
    await harness.drain()
    before = frames_of((await harness.event(event.uuid)).properties)
    assert {(f["resolve_failure"], f["symbol_set_ref"]) for f in before} == {
        ("NoSourcemapUploaded", "chunk-never-uploaded")}
    async with harness.db.connect() as conn:
        assert await events_awaiting(conn, harness.project_id, APP_URL) == [event.uuid]

    assert await record_fetched(harness.db, harness.store, harness.project_id, APP_URL,
                                script=APP.read_bytes(), source_map=APP_MAP.read_bytes())
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, APP_URL)

    assert (done.events, done.updated, done.frames) == (1, 1, 4)
    frames = frames_of((await harness.event(event.uuid)).properties)
    assert [(f["resolved_name"], f["resolved"]) for f in frames] == [
        ("main", True), ("orderTotal", True), ("lineTotal", True), ("checkedQuantity", True)]
    assert all("symbol_set_ref" not in f for f in frames)
    # Its wait for the chunk id finds nothing left to do.
    again = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-never-uploaded")
    assert (again.events, again.updated) == (1, 0)


async def test_a_failed_fetch_leaves_frames_waiting_for_their_chunk_id(harness):
    event = captured({"$exception_list": [app_exception(chunk_id="chunk-late")]})
    await harness.publish(event)
    await harness.drain()

    assert await record_fetched(harness.db, harness.store, harness.project_id, APP_URL,
                                failure="answered HTTP 404")
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, APP_URL)
    assert (done.events, done.updated, done.frames) == (1, 0, 0)
    frames = frames_of((await harness.event(event.uuid)).properties)
    assert {(f["resolve_failure"], f["symbol_set_ref"]) for f in frames} == {("NoSourcemapUploaded", "chunk-late")}

    await harness.upload("chunk-late")
    done = await reresolve_awaiting(harness.db, harness.resolver, harness.project_id, "chunk-late")
    assert (done.events, done.updated, done.frames) == (1, 1, 4)
    assert {f["resolved"] for f in frames_of((await harness.event(event.uuid)).properties)} == {True}
