"""The pipeline's rule hooks, driven by a small rule set written here: grouping before the
automatic fingerprint (its assignee wins), suppression before linking, assignment only
when an issue is created or reopened and never over an assignee."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from symbols.db.issues import Assignee
from symbols.db.tables import issue_assignments, issues, users
from symbols.db.types import utcnow
from symbols.errortracking.ruleset import GroupMatch
from tests.support.pipeline import app_exception, captured, close_harness, make_harness


class Rules:
    """Groups events with ``team`` set, drops events with ``noise``, assigns user 2."""

    def __init__(self) -> None:
        self.seen: dict[str, list] = {"group": [], "suppress": [], "assign": []}

    async def rules_for(self, project_ids):
        return dict.fromkeys(project_ids, self)

    def group(self, props: Mapping[str, Any]) -> GroupMatch | None:
        self.seen["group"].append(dict(props))
        team = props.get("team")
        return GroupMatch(f"rule-{team}", Assignee("user", 1)) if team else None

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        self.seen["suppress"].append((event_uuid, dict(props)))
        return bool(props.get("noise"))

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None:
        self.seen["assign"].append((dict(issue), dict(props)))
        return Assignee("user", 2)


@pytest.fixture
async def harness(database, tmp_path):
    h = await make_harness(database, tmp_path)
    h.rules = Rules()
    async with database.begin() as conn:
        await conn.execute(insert(users), [
            {"id": n, "email": f"u{n}@example.com", "name": f"u{n}", "created_at": utcnow()} for n in (1, 2)
        ])
    await h.upload("chunk-app")
    yield h
    await close_harness(h)


async def _assignees(harness) -> dict[str, int]:
    async with harness.db.connect() as conn:
        rows = (await conn.execute(select(issue_assignments))).all()
    return {r.issue_id: r.user_id for r in rows}


async def test_grouping_rule_regroups_and_its_assignee_wins(harness):
    checkout = captured({"$exception_list": [app_exception()], "team": "checkout"})
    other = captured({"$exception_list": [app_exception(kind="TypeError", message="boom")], "team": "checkout"})
    plain = captured({"$exception_list": [app_exception()]})
    await harness.publish(checkout, other, plain)
    await harness.drain()

    props = (await harness.event(checkout.uuid)).properties
    assert props["$exception_fingerprint"] == "custom-rule:rule-checkout"
    assert props["$exception_fingerprint_record"] == [{"type": "custom", "rule_id": "rule-checkout"}]
    assert (await harness.event(other.uuid)).issue_id == (await harness.event(checkout.uuid)).issue_id
    plain_issue = (await harness.event(plain.uuid)).issue_id
    assert plain_issue != (await harness.event(checkout.uuid)).issue_id
    assert await _assignees(harness) == {(await harness.event(checkout.uuid)).issue_id: 1, plain_issue: 2}
    # Rules see the resolved exception's arrays, as they will be stored.
    seen = harness.rules.seen["group"][0]
    assert seen["$exception_types"] == ["RangeError"]
    assert seen["$exception_functions"] == ["main", "orderTotal", "lineTotal", "checkedQuantity"]
    assert "$exception_fingerprint" not in seen
    _, suppress_view = harness.rules.seen["suppress"][0]
    assert suppress_view["$exception_fingerprint"] == "custom-rule:rule-checkout"
    issue, assign_view = harness.rules.seen["assign"][0]
    assert issue == {"status": "active", "name": "RangeError", "description": "negative quantity for cake"}
    assert assign_view["$exception_issue_id"] == plain_issue


async def test_suppressed_events_create_nothing(harness):
    noise = captured({"$exception_list": [app_exception()], "noise": True})
    page = captured({"noise": True}, event="$pageview")  # only exceptions are suppressed
    await harness.publish(noise, page)
    outcome = await harness.drain()
    assert (outcome.stored, outcome.suppressed) == (1, 1)
    assert await harness.event(noise.uuid) is None and await harness.event(page.uuid) is not None
    assert await harness.issues() == []


async def test_assignment_runs_on_create_and_reopen_only(harness):
    await harness.publish(captured({"$exception_list": [app_exception()]}))
    await harness.drain()
    await harness.publish(captured({"$exception_list": [app_exception()]}))
    await harness.drain()
    assert len(harness.rules.seen["assign"]) == 1

    [issue] = await harness.issues()
    async with harness.db.begin() as conn:
        await conn.execute(update(issues).values(status="resolved"))
        await conn.execute(update(issue_assignments).values(user_id=1))
    await harness.publish(captured({"$exception_list": [app_exception()]}))
    await harness.drain()
    assert len(harness.rules.seen["assign"]) == 2
    assert harness.rules.seen["assign"][1][0]["status"] == "active"
    assert await _assignees(harness) == {issue.id: 1}  # an assignee is never overwritten


class _Broken(Rules):
    def group(self, props):
        raise ZeroDivisionError("a bug in a grouping rule")

    def suppress(self, event_uuid, props):
        raise KeyError("a bug in a suppression rule")


async def test_a_rule_set_that_raises_never_holds_the_batch_back(harness):
    harness.rules = _Broken()
    event = captured({"$exception_list": [app_exception()]})
    await harness.publish(event)
    outcome = await harness.drain()
    assert (outcome.stored, outcome.suppressed) == (1, 0)
    props = (await harness.event(event.uuid)).properties
    assert props["$exception_fingerprint_record"][0]["type"] == "exception"  # automatic
    assert await _assignees(harness) == {props["$exception_issue_id"]: 2}  # assignment still ran
