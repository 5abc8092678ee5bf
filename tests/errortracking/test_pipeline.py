"""The pipeline over the real stream, database and resolution layers (SQLite and PostgreSQL):
the committed esbuild bundle's frames resolved, fingerprinted, linked and stored once."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import delete, select, update

from symbols.db import access
from symbols.db.events import events_awaiting, stack_frames_by_raw_id
from symbols.db.tables import issue_assignments, issues, person_distinct_ids, persons, projects
from symbols.errortracking.stream import DatabaseStream
from tests.support.pipeline import APP_FRAMES, app_exception, captured, frames_of


async def test_exceptions_resolve_group_and_count_once(harness):
    await harness.upload("chunk-app")
    first, second = (captured({"$exception_list": [app_exception()], "plan": "pro"}) for _ in range(2))
    pageview = captured({"$current_url": "https://example.com/"}, event="$pageview")
    await harness.publish(first, second, pageview)

    outcome = await harness.drain()

    assert (outcome.stored, outcome.duplicates, outcome.suppressed) == (3, 0, 0)
    row = await harness.event(first.uuid)
    frames = frames_of(row.properties)
    # SDK order (innermost last), each frame mapped to its original function and line.
    assert [(f["resolved_name"], f["source"], f["line"]) for f in frames] == [
        ("main", "../../src/index.js", 9), ("orderTotal", "../../src/math.js", 17),
        ("lineTotal", "../../src/math.js", 4), ("checkedQuantity", "../../src/math.js", 9),
    ]
    assert [f["mangled_name"] for f in frames] == [fn for fn, _, _ in reversed(APP_FRAMES)]
    assert all(f["resolved"] and f["resolve_failure"] is None for f in frames)
    assert not any("context" in f or "symbol_set_ref" in f for f in frames)
    props = row.properties
    assert props["plan"] == "pro"
    assert props["$exception_types"] == ["RangeError"]
    assert props["$exception_functions"] == ["main", "orderTotal", "lineTotal", "checkedQuantity"]
    assert props["$exception_sources"] == ["../../src/index.js", "../../src/math.js"]
    assert props["$exception_issue_id"] == row.issue_id
    assert len(props["$exception_fingerprint"]) == 128

    [issue] = await harness.issues()
    assert (issue.id, issue.name, issue.description) == (row.issue_id, "RangeError", "negative quantity for cake")
    assert issue.status == "active" and issue.occurrences == 2
    other = await harness.event(second.uuid)
    assert other.issue_id == issue.id
    assert other.properties["$exception_fingerprint"] == props["$exception_fingerprint"]
    stored_view = await harness.event(pageview.uuid)
    assert stored_view.properties == {"$current_url": "https://example.com/"} and stored_view.issue_id is None

    async with harness.db.connect() as conn:
        rows = {r.raw_id: r for r in await stack_frames_by_raw_id(conn, harness.project_id, [f["raw_id"] for f in frames])}
    top = rows[frames[-1]["raw_id"]]
    assert top.resolved and top.symbol_set_ref == "chunk-app"
    assert top.contents == frames[-1]
    assert top.context["line"]["number"] == 9 and "throw new RangeError" in top.context["line"]["line"]


async def test_redelivered_events_are_skipped_before_linking(harness):
    await harness.upload("chunk-app")
    event = captured({"$exception_list": [app_exception()]})
    await harness.publish(event)
    assert (await harness.drain()).stored == 1
    await harness.publish(event)  # the stream row is gone: a late SDK retry queues it again
    await harness.publish(event)  # ... and a second copy in the same batch

    outcome = await harness.drain()

    assert (outcome.stored, outcome.duplicates) == (0, 1)
    [issue] = await harness.issues()
    assert issue.occurrences == 1


async def test_frames_without_a_symbol_set_wait_for_it(harness):
    a, a2 = (captured({"$exception_list": [app_exception(chunk_id="chunk-late")]}) for _ in range(2))
    b = captured({"$exception_list": [app_exception(chunk_id=None, url="https://cdn.example.com/assets/app.js?v=2")]})
    await harness.publish(a, a2, b)

    assert (await harness.drain()).stored == 3

    frames = frames_of((await harness.event(a.uuid)).properties)
    assert {f["resolve_failure"] for f in frames} == {"NoSourcemapUploaded"}
    assert all(f["resolved"] is False and f["resolved_name"] is None for f in frames)
    assert {f["symbol_set_ref"] for f in frames} == {"chunk-late"}  # what a late upload looks for
    assert [(f["source"], f["line"], f["column"]) for f in frames][-1] == ("/assets/app.js", 1, 77)
    # Found by URL: cymbal takes a frame as minified only past column 300.
    url_frames = frames_of((await harness.event(b.uuid)).properties)
    assert [f["resolved_name"] for f in url_frames] == [None, "r", "a", "i"]
    assert [f["column"] for f in url_frames] == [398, 185, 36, 77]
    async with harness.db.connect() as conn:
        assert sorted(await events_awaiting(conn, harness.project_id, "chunk-late")) == sorted([a.uuid, a2.uuid])
        # Waiting by the URL as the resolver matches it (no query string); the frames
        # naming a chunk id wait for their URL too, where the resolver looks next.
        assert sorted(await events_awaiting(conn, harness.project_id, "https://cdn.example.com/assets/app.js")) == \
            sorted([a.uuid, a2.uuid, b.uuid])
    # Unresolved frames fingerprint on the minified positions: a and a2 share an issue.
    occurrences = sorted(i.occurrences for i in await harness.issues())
    assert occurrences == [1, 2]
    assert (await harness.event(a.uuid)).issue_id == (await harness.event(a2.uuid)).issue_id


async def test_engine_frames_need_no_map_and_do_not_wait(harness):
    exception = app_exception()
    exception["stacktrace"]["frames"].insert(0, {
        "platform": "node:javascript", "filename": "node:internal/process/task_queues",
        "function": "process.processTicksAndRejections", "lineno": 95, "colno": 5, "in_app": True})
    event = captured({"$exception_list": [exception]})
    await harness.upload("chunk-app")
    await harness.publish(event)
    await harness.drain()
    [internal, *app] = frames_of((await harness.event(event.uuid)).properties)
    assert (internal["resolve_failure"], internal["resolved_name"], internal["in_app"]) == (
        "NoMapNeeded", "process.processTicksAndRejections", False)
    assert "symbol_set_ref" not in internal and all(f["resolved"] for f in app)
    async with harness.db.connect() as conn:
        assert await events_awaiting(conn, harness.project_id, "node:internal/process/task_queues") == []


async def test_python_frames_pass_through_and_client_fingerprint_wins(harness):
    python = {"type": "ZeroDivisionError", "value": "division by zero", "stacktrace": {"type": "raw", "frames": [
        {"platform": "python", "filename": "app/views.py", "function": "index", "lineno": 12,
         "context_line": "    return 1 / 0", "module": "app.views", "in_app": True},
    ]}}
    manual = captured({"$exception_list": [python], "$exception_fingerprint": "checkout-broken"})
    auto = captured({"$exception_list": [python]})
    await harness.publish(manual, auto)
    await harness.drain()

    manual_props = (await harness.event(manual.uuid)).properties
    [frame] = frames_of(manual_props)
    assert (frame["resolved_name"], frame["lang"], frame["resolved"], frame["source"]) == (
        "index", "python", True, "app/views.py")
    assert manual_props["$exception_fingerprint"] == "checkout-broken"
    assert manual_props["$exception_fingerprint_record"] == [{"type": "manual"}]
    auto_props = (await harness.event(auto.uuid)).properties
    assert manual_props["$exception_proposed_fingerprint"] == auto_props["$exception_fingerprint"]
    assert len({i.id for i in await harness.issues()}) == 2


async def test_issue_names_and_status_rules(harness):
    named = captured({"$exception_list": [app_exception()], "$issue_name": "Checkout",
                      "$issue_description": "x" * 300})
    await harness.publish(named)
    await harness.drain()
    [issue] = await harness.issues()
    assert (issue.name, issue.description) == ("Checkout", "x" * 255)

    async with harness.db.begin() as conn:
        await conn.execute(update(issues).values(status="resolved"))
    again = captured({"$exception_list": [app_exception()]})
    await harness.publish(again)
    await harness.drain()
    [issue] = await harness.issues()
    assert issue.status == "active" and issue.occurrences == 2

    async with harness.db.begin() as conn:
        await conn.execute(update(issues).values(status="suppressed"))
    dropped = captured({"$exception_list": [app_exception()]})
    await harness.publish(dropped)
    outcome = await harness.drain()
    assert (outcome.stored, outcome.suppressed) == (0, 1)
    assert await harness.event(dropped.uuid) is None
    [issue] = await harness.issues()
    assert issue.status == "suppressed" and issue.occurrences == 2


async def test_unprocessable_exceptions_are_kept_with_their_errors(harness):
    broken = captured({"$exception_list": []})
    await harness.publish(broken)
    await harness.drain()
    row = await harness.event(broken.uuid)
    assert row.issue_id is None and row.properties["$cymbal_errors"] == ["$exception_list is empty"]
    assert await harness.issues() == []


async def test_undecodable_payloads_and_deleted_projects_are_dropped(harness):
    async with harness.db.begin() as conn:
        gone = (await access.create_project(conn, "gone")).id
    await harness.stream.publish(harness.project_id, [(str(uuid.uuid4()), b"not json")])
    await harness.publish(captured({"$exception_list": [app_exception()]}), project_id=gone)
    batch = await harness.stream.lease("t", count=10, lease_seconds=60)
    assert len(batch.messages) == 2
    async with harness.db.begin() as conn:
        await conn.execute(delete(projects).where(projects.c.id == gone))

    outcome = await harness.pipeline.process(batch)

    assert (outcome.undecodable, outcome.unknown_project, outcome.stored) == (1, 1, 0)
    assert await harness.stream.backlog() == 0


class _FailingSettle(DatabaseStream):
    async def settle(self, conn, batch):
        await super().settle(conn, batch)
        raise ConnectionError("the database went away before the commit")


async def test_a_fault_before_the_commit_stores_nothing(harness):
    await harness.upload("chunk-app")
    event = captured({"$exception_list": [app_exception()]})
    await harness.publish(event)
    harness.stream = _FailingSettle(harness.db)
    batch = await harness.stream.lease("t", count=10, lease_seconds=0.01)

    with pytest.raises(ConnectionError):
        await harness.pipeline.process(batch)

    assert await harness.event(event.uuid) is None and await harness.issues() == []
    harness.stream = DatabaseStream(harness.db)
    assert (await harness.drain()).stored == 1  # the lease ran out: handed out again
    async with harness.db.connect() as conn:
        assert (await conn.execute(select(issue_assignments))).all() == []
    [issue] = await harness.issues()
    assert issue.occurrences == 1


async def test_events_get_their_person_and_identify_links_the_anonymous_id(harness):
    def event(name: str, distinct_id: str, **props):
        item = captured(props, event=name)
        return dataclasses.replace(item, distinct_id=distinct_id)

    anon = event("$pageview", "anon-1")
    other = event("$pageview", "someone-else")
    identify = event("$identify", "ada@example.com", **{"$anon_distinct_id": "anon-1", "$set": {"plan": "pro"}})
    later = event("$exception", "anon-1", **{"$exception_list": [app_exception(chunk_id=None)]})
    await harness.publish(anon, other)
    await harness.drain()
    await harness.publish(identify, later)
    await harness.drain()

    person = {e.uuid: (await harness.event(e.uuid)).person_id for e in (anon, other, identify, later)}
    assert all(person.values())
    assert person[identify.uuid] == person[later.uuid]
    assert person[other.uuid] != person[identify.uuid]
    async with harness.db.connect() as conn:
        ids = dict((await conn.execute(select(person_distinct_ids.c.distinct_id, person_distinct_ids.c.person_id))).all())
        [row] = (await conn.execute(select(persons).where(persons.c.id == person[identify.uuid]))).all()
    assert ids["anon-1"] == ids["ada@example.com"] == person[identify.uuid]
    assert row.is_identified and row.properties == {"plan": "pro"}
