"""Rules saved through the domain, applied by ``RuleCache`` to real events in the pipeline
(SQLite and PostgreSQL): grouping regroups (its assignee wins), suppression drops with
cymbal's deterministic sampling, assignment assigns on create only, a rule that fails gets
``disabled_data`` once and is skipped until edited, and edits are picked up without a
restart, a batch's projects checked in one query."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from symbols.db.access import create_project
from symbols.db.rules import get_rule
from symbols.db.tables import issue_assignments
from symbols.db.users import create_user
from symbols.errortracking import rules
from symbols.errortracking.rule_cache import RuleCache, sampled
from tests.support.pipeline import app_exception, captured, close_harness, make_harness


def _leaf(key: str, value, operator: str = "exact", kind: str = "event") -> dict:
    return {"type": "AND", "values": [{"type": kind, "key": key, "value": value, "operator": operator}]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def harness(database, tmp_path):
    h = await make_harness(database, tmp_path)
    h.clock = Clock()
    h.rules = RuleCache(database, check_seconds=1.0, clock=h.clock)
    async with database.begin() as conn:
        h.users = [(await create_user(conn, f"u{n}@example.com", f"u{n}")).id for n in range(2)]
    await h.upload("chunk-app")
    yield h
    await close_harness(h)


async def _drain(harness):
    harness.clock.now += 2  # past the version check interval
    outcome = await harness.drain()
    await harness.rules.flush()
    return outcome


async def _assignees(harness) -> dict[str, int]:
    async with harness.db.connect() as conn:
        return {r.issue_id: r.user_id for r in (await conn.execute(select(issue_assignments))).all()}


async def test_grouping_rule_regroups_and_its_assignee_wins(harness):
    db, project, (ann, bob) = harness.db, harness.project_id, harness.users
    await rules.create(db, "assignment", project, {"filters": _leaf("$exception_types", "RangeError"),
                                                   "assignee": {"type": "user", "id": bob}})
    late = await rules.create(db, "grouping", project, {"filters": _leaf("plan", "pro")})
    first = await rules.create(db, "grouping", project, {
        "filters": _leaf("$exception_functions", "orderTotal"), "assignee": {"type": "user", "id": ann}})
    await rules.reorder(db, "grouping", project, {"orders": {first.id: 0, late.id: 1}})
    range_error = captured({"$exception_list": [app_exception()], "plan": "pro"})
    type_error = captured({"$exception_list": [app_exception(kind="TypeError", message="other")]})
    free = captured({"$exception_list": [app_exception(chunk_id="none", url="https://x/other.js")], "plan": "free"})
    await harness.publish(range_error, type_error, free)
    assert (await _drain(harness)).stored == 3

    grouped = await harness.event(range_error.uuid)
    assert grouped.properties["$exception_fingerprint"] == f"custom-rule:{first.id}"
    assert grouped.properties["$exception_fingerprint_record"] == [{"type": "custom", "rule_id": first.id}]
    assert (await harness.event(type_error.uuid)).issue_id == grouped.issue_id  # one rule, one issue
    unmatched = await harness.event(free.uuid)
    assert not unmatched.properties["$exception_fingerprint"].startswith("custom-rule:")
    # The grouping rule's assignee wins over the assignment rule that also matches.
    assert (await _assignees(harness))[grouped.issue_id] == ann
    body, _ = await rules.page(db, "grouping", project, limit=None)
    issues = await rules.grouping_issues(db, project, body)
    assert issues == {first.id: {"id": grouped.issue_id, "name": "RangeError"}}


async def test_suppression_samples_by_event_uuid(harness):
    db, project = harness.db, harness.project_id
    rule = await rules.create(db, "suppression", project, {
        "filters": _leaf("$exception_values", "quantity", "icontains"), "sampling_rate": 0.5})
    events = [captured({"$exception_list": [app_exception()]}, event_uuid=str(uuid.UUID(int=n * 7919 + 1234)))
              for n in range(40)]
    other = captured({"$exception_list": [app_exception(message="unrelated")]})
    await harness.publish(*events, other)
    outcome = await _drain(harness)

    expected_dropped = {e.uuid for e in events if uuid.UUID(e.uuid).int % 10000 < 5000}
    assert 0 < len(expected_dropped) < len(events)
    assert (outcome.suppressed, outcome.stored) == (len(expected_dropped), len(events) + 1 - len(expected_dropped))
    for event in events:
        assert (await harness.event(event.uuid) is None) == (event.uuid in expected_dropped)
    assert await harness.event(other.uuid) is not None

    await rules.update(db, "suppression", project, rule.id, {"sampling_rate": 1})
    everything = [captured({"$exception_list": [app_exception()]}) for _ in range(5)]
    await harness.publish(*everything)
    assert (await _drain(harness)).suppressed == 5
    await rules.update(db, "suppression", project, rule.id, {"sampling_rate": 0})
    await harness.publish(*everything)
    assert (await _drain(harness)).stored == 5


def test_sampling_bounds():
    some = str(uuid.UUID(int=10000 * 17 + 4999))
    assert sampled(some, 0.5) and not sampled(some, 0.4999)
    assert sampled(some, 1.0) and sampled(some, 3) and not sampled(some, 0) and not sampled(some, -1)


async def test_assignment_on_create_only_never_overwriting(harness):
    db, project, (ann, bob) = harness.db, harness.project_id, harness.users
    await rules.create(db, "assignment", project, {
        "filters": _leaf("$exception_types", "Range", "icontains"), "assignee": {"type": "user", "id": ann}})
    await harness.publish(captured({"$exception_list": [app_exception()]}))
    await _drain(harness)
    [issue] = await harness.issues()
    assert await _assignees(harness) == {issue.id: ann}

    # Not on a later event of the issue; and an existing assignee is kept.
    async with db.begin() as conn:
        await conn.execute(issue_assignments.update().values(user_id=bob))
    await harness.publish(captured({"$exception_list": [app_exception()]}))
    await _drain(harness)
    assert await _assignees(harness) == {issue.id: bob}


async def test_a_failing_rule_is_disabled_once_and_skipped_until_edited(harness):
    db, project, (ann, _) = harness.db, harness.project_id, harness.users
    broken = await rules.create(db, "suppression", project, {"filters": _leaf("email", "a@b.c", kind="person")})
    broken_assign = await rules.create(db, "assignment", project, {
        "filters": _leaf("email", "a@b.c", kind="person"), "assignee": {"type": "user", "id": ann}})
    event = captured({"$exception_list": [app_exception()], "plan": "pro", "blob": "x" * 5000})
    await harness.publish(event)
    outcome = await _drain(harness)
    assert (outcome.stored, outcome.suppressed) == (1, 0)  # the event goes on as if no rule matched

    async with db.connect() as conn:
        rule = await get_rule(conn, "suppression", project, broken.id)
        assign_rule = await get_rule(conn, "assignment", project, broken_assign.id)
    assert rule.disabled_data["message"] == "Unknown global: person"
    assert rule.disabled_data["props"]["plan"] == "pro"
    assert rule.disabled_data["props"]["$exception_types"] == ["RangeError"]
    assert "blob" not in rule.disabled_data["props"]  # big values are left out
    assert assign_rule.disabled_data["issue"] == {"status": "active", "name": "RangeError",
                                                  "description": "negative quantity for cake"}
    assert await _assignees(harness) == {}

    # Written once: a fresh worker does not load it, and nothing overwrites it.
    harness.rules = RuleCache(db, clock=harness.clock)
    await harness.publish(captured({"$exception_list": [app_exception()], "plan": "free"}))
    await _drain(harness)
    async with db.connect() as conn:
        assert (await get_rule(conn, "suppression", project, broken.id)).disabled_data == rule.disabled_data

    # Edited: enabled again, and (still broken) disabled again by the next event.
    await rules.update(db, "suppression", project, broken.id, {"filters": _leaf("plan", "free")})
    async with db.connect() as conn:
        assert (await get_rule(conn, "suppression", project, broken.id)).disabled_data is None
    dropped = captured({"$exception_list": [app_exception()], "plan": "free"})
    await harness.publish(dropped)
    assert (await _drain(harness)).suppressed == 1


async def _loaded(cache, project):
    return (await cache.rules_for([project]))[project]


async def test_edits_reach_a_running_worker_after_the_check_interval(harness):
    db, project = harness.db, harness.project_id
    cache = harness.rules
    assert (await _loaded(cache, project)).suppression.rules == []
    rule = await rules.create(db, "suppression", project, {"filters": _leaf("plan", "pro")})
    harness.clock.now += 0.5
    assert (await _loaded(cache, project)).suppression.rules == []  # checked under a second ago
    harness.clock.now += 0.6
    [loaded] = (await _loaded(cache, project)).suppression.rules
    assert loaded.rule.id == rule.id
    same = await _loaded(cache, project)
    harness.clock.now += 5
    assert await _loaded(cache, project) is same  # version unchanged: not compiled again
    await rules.delete(db, "suppression", project, rule.id)
    harness.clock.now += 5
    assert (await _loaded(cache, project)).suppression.rules == []


async def test_a_batch_of_projects_is_checked_in_one_query(harness):
    db, cache = harness.db, harness.rules
    async with db.begin() as conn:
        projects = [harness.project_id] + [(await create_project(conn, f"p{n}")).id for n in range(3)]
    rule = await rules.create(db, "suppression", projects[1], {"filters": _leaf("plan", "pro")})
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sqlalchemy_event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        found = await cache.rules_for(projects)
        harness.clock.now += 0.5
        again = await cache.rules_for(projects[::-1])  # all checked under a second ago
        checks = len([s for s in statements if "error_tracking_rule_versions" in s])
        edited = await rules.create(db, "grouping", projects[3], {"filters": _leaf("plan", "pro")})
        harness.clock.now += 1
        statements.clear()
        later = await cache.rules_for(projects)
        rechecks = len([s for s in statements if "error_tracking_rule_versions" in s])
    finally:
        sqlalchemy_event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert checks == 1 and rechecks == 1
    assert set(found) == set(projects) and all(again[p] is found[p] for p in projects)
    assert [c.rule.id for c in found[projects[1]].suppression.rules] == [rule.id]
    assert all(found[p].suppression.rules == [] for p in projects if p != projects[1])
    assert all(later[p] is found[p] for p in projects[:3])  # unchanged: not loaded again
    assert [c.rule.id for c in later[projects[3]].grouping.rules] == [edited.id]
