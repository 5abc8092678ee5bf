"""The rules APIs (suppression, assignment, grouping) over a real server: PostHog's shapes,
create/update/delete/reorder semantics, validation bodies, scopes and project isolation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from symbols.db.issues import NewIssue, link_fingerprints
from symbols.db.tables import grouping_rules, rule_versions, suppression_rules
from symbols.db.types import utcnow
from symbols.db.users import create_role, create_user

TYPE_ERROR = {"type": "AND", "values": [{"type": "AND", "values": [
    {"key": "$exception_type", "type": "event", "value": ["TypeError"], "operator": "exact"}]}]}
RESIZE = {"type": "AND", "values": [
    {"type": "event", "key": "$exception_types", "operator": "exact", "value": "Error"},
    {"type": "event", "key": "$exception_values", "operator": "icontains", "value": "ResizeObserver loop"}]}


async def _people(api) -> tuple[int, str]:
    async with api.db.begin() as conn:
        user = await create_user(conn, f"{uuid.uuid4().hex[:8]}@example.com", "Ann")
        role = await create_role(conn, f"role-{uuid.uuid4().hex[:8]}")
    return user.id, role.id


async def _version(api) -> int:
    async with api.db.connect() as conn:
        return (await conn.execute(
            select(rule_versions.c.version).where(rule_versions.c.team_id == api.project_id))).scalar() or 0


async def test_suppression_crud_shapes_and_semantics(db_api):
    api = db_api
    status, created = await api.call("POST", "suppression_rules/", json={
        "filters": RESIZE, "sampling_rate": 0.95, "order_key": 7, "disabled_data": {"message": "x"}, "junk": 1})
    assert status == 201
    assert list(created) == ["id", "filters", "order_key", "disabled_data", "sampling_rate", "created_at", "updated_at"]
    assert (created["filters"], created["order_key"], created["disabled_data"], created["sampling_rate"]) == \
        (RESIZE, 0, None, 0.95)
    assert await _version(api) == 1

    status, bare = await api.call("POST", "suppression_rules/", json={})
    assert status == 201 and bare["filters"] == {"type": "AND", "values": []} and bare["sampling_rate"] == 1.0

    status, body = await api.call("GET", "suppression_rules/")
    assert status == 200 and body["count"] == 2 and body["next"] is None
    assert {r["id"] for r in body["results"]} == {created["id"], bare["id"]}

    # Disabled by the pipeline, then edited: the update answers 204 with no body and
    # enables it again; absent fields stay as they were.
    async with api.db.begin() as conn:
        await conn.execute(update(suppression_rules).where(suppression_rules.c.id == created["id"])
                           .values(disabled_data={"message": "boom", "props": {}}))
    status, shown = await api.call("GET", f"suppression_rules/{created['id']}/")
    assert status == 200 and shown["disabled_data"] == {"message": "boom", "props": {}}
    async with api.client.patch(api.path(f"suppression_rules/{created['id']}/"), json={"sampling_rate": 0.5},
                                headers={"Authorization": f"Bearer {api.secret}"}) as resp:
        assert resp.status == 204 and await resp.read() == b"" and "Content-Type" not in resp.headers
    status, shown = await api.call("GET", f"suppression_rules/{created['id']}/")
    assert (shown["sampling_rate"], shown["filters"], shown["disabled_data"]) == (0.5, RESIZE, None)
    assert shown["updated_at"] > created["updated_at"]
    status, _ = await api.call("PUT", f"suppression_rules/{created['id']}/", json={"filters": TYPE_ERROR})
    assert status == 204
    assert (await api.call("GET", f"suppression_rules/{created['id']}/"))[1]["filters"] == TYPE_ERROR

    assert (await api.call("DELETE", f"suppression_rules/{bare['id']}/"))[0] == 204
    assert (await api.call("GET", f"suppression_rules/{bare['id']}/"))[0] == 404
    assert (await api.call("DELETE", f"suppression_rules/{bare['id']}/"))[0] == 404
    assert await _version(api) == 5  # 2 creates, 2 updates, 1 delete (the direct write bumps nothing)


@pytest.mark.parametrize("body, attr, code, detail", [
    ({"filters": {"not": "valid"}}, "filters", "invalid", "Invalid filters payload."),
    ({"filters": "x"}, "filters", "invalid", "Invalid filters"),
    ({"filters": {"type": "NOT_A_VALID_OPERATOR", "values": [{"key": "x"}]}}, "filters", "invalid",
     "Invalid filters payload."),
    ({"filters": None}, "filters", "null", "This field may not be null."),
    ({"sampling_rate": 1.5}, "sampling_rate", "max_value", "Ensure this value is less than or equal to 1.0."),
    ({"sampling_rate": -0.1}, "sampling_rate", "min_value",
     "Ensure this value is greater than or equal to 0.0."),
    ({"sampling_rate": "lots"}, "sampling_rate", "invalid", "A valid number is required."),
])
async def test_suppression_validation(api, body, attr, code, detail):
    status, error = await api.call("POST", "suppression_rules/", json=body)
    assert status == 400
    assert error == {"type": "validation_error", "code": code, "detail": detail, "attr": attr}


async def test_assignment_rules_validate_assignees(db_api):
    api = db_api
    user_id, role_id = await _people(api)
    for body, attr, detail in [
        ({"assignee": {"type": "user", "id": user_id}}, "filters", "This field is required."),
        ({"filters": TYPE_ERROR}, "assignee", "This field is required."),
        ({"filters": TYPE_ERROR, "assignee": {"type": "user", "id": "abc"}}, "assignee__id",
         "User assignee IDs must be integers."),
        ({"filters": TYPE_ERROR, "assignee": {"type": "role", "id": "nope"}}, "assignee__id",
         "Role assignee IDs must be UUIDs."),
        ({"filters": TYPE_ERROR, "assignee": {"type": "group", "id": 1}}, "assignee__type",
         '"group" is not a valid choice.'),
        ({"filters": TYPE_ERROR, "assignee": {"type": "user"}}, "assignee__id", "This field is required."),
        ({"filters": TYPE_ERROR, "assignee": {"id": 1}}, "assignee__type", "This field is required."),
    ]:
        status, error = await api.call("POST", "assignment_rules/", json=body)
        assert status == 400 and (error["attr"], error["detail"]) == (attr, detail), body
    status, error = await api.call("POST", "assignment_rules/", json={
        "filters": TYPE_ERROR, "assignee": {"type": "user", "id": user_id + 100}})
    assert status == 400 and error["detail"] == "Assignee user does not belong to this organization."

    status, rule = await api.call("POST", "assignment_rules/", json={
        "filters": TYPE_ERROR, "assignee": {"type": "user", "id": str(user_id)}})
    assert status == 201
    assert list(rule) == ["id", "filters", "assignee", "order_key", "disabled_data", "created_at", "updated_at"]
    assert rule["assignee"] == {"type": "user", "id": user_id}
    status, _ = await api.call("PATCH", f"assignment_rules/{rule['id']}/", json={"assignee": {"type": "role", "id": role_id}})
    assert status == 204
    status, shown = await api.call("GET", f"assignment_rules/{rule['id']}/")
    assert shown["assignee"] == {"type": "role", "id": role_id} and shown["filters"] == TYPE_ERROR
    status, error = await api.call("PATCH", f"assignment_rules/{rule['id']}/", json={"filters": {"not": "valid"}})
    assert status == 400 and error["attr"] == "filters"
    status, error = await api.call("PATCH", f"assignment_rules/{rule['id']}/", json={"assignee": None})
    assert status == 400 and error["attr"] == "assignee"


async def test_grouping_rules_unpaginated_with_their_issue(db_api):
    api = db_api
    user_id, _ = await _people(api)
    status, first = await api.call("POST", "grouping_rules/", json={
        "filters": TYPE_ERROR, "assignee": {"type": "user", "id": user_id}, "description": "type errors"})
    assert status == 201
    assert list(first) == ["id", "filters", "assignee", "description", "issue", "order_key", "disabled_data",
                           "created_at", "updated_at"]
    assert (first["assignee"], first["description"], first["issue"]) == \
        ({"type": "user", "id": user_id}, "type errors", None)
    status, second = await api.call("POST", "grouping_rules/", json={"filters": RESIZE})
    assert status == 201 and second["assignee"] is None and second["description"] is None
    status, error = await api.call("POST", "grouping_rules/", json={"description": "x"})
    assert status == 400 and error["attr"] == "filters" and error["code"] == "required"

    async with api.db.begin() as conn:
        linked = await link_fingerprints(conn, api.project_id, [
            NewIssue(f"custom-rule:{first['id']}", "TypeError", "grouped", utcnow())])
    issue_id = linked[f"custom-rule:{first['id']}"].issue_id
    status, body = await api.call("GET", "grouping_rules/", params={"limit": "1"})
    assert status == 200 and list(body) == ["results"] and len(body["results"]) == 2
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[first["id"]]["issue"] == {"id": issue_id, "name": "TypeError"}
    assert by_id[second["id"]]["issue"] is None
    assert (await api.call("GET", f"grouping_rules/{first['id']}/"))[1]["issue"]["id"] == issue_id

    status, _ = await api.call("PATCH", f"grouping_rules/{first['id']}/", json={"assignee": None, "description": None})
    assert status == 204
    shown = (await api.call("GET", f"grouping_rules/{first['id']}/"))[1]
    assert (shown["assignee"], shown["description"], shown["filters"]) == (None, None, TYPE_ERROR)


async def test_reorder_sets_order_keys_and_ignores_unknown_ids(db_api):
    api = db_api
    ids = [(await api.call("POST", "grouping_rules/", json={"filters": TYPE_ERROR}))[1]["id"] for _ in range(3)]
    other_project = await api.new_project()
    async with api.db.begin() as conn:
        await conn.execute(grouping_rules.insert().values(
            id=str(uuid.uuid4()), team_id=other_project, filters=TYPE_ERROR, order_key=5,
            created_at=utcnow(), updated_at=utcnow()))
        [foreign] = (await conn.execute(select(grouping_rules.c.id).where(
            grouping_rules.c.team_id == other_project))).scalars().all()
    orders = {ids[0]: 2, ids[1]: 0, ids[2]: 1, str(uuid.uuid4()): 9, "not-a-uuid": 3, foreign: 0}
    status, body = await api.call("PATCH", "grouping_rules/reorder/", json={"orders": orders})
    assert status == 204 and body is None
    listed = (await api.call("GET", "grouping_rules/"))[1]["results"]
    assert [(r["id"], r["order_key"]) for r in listed] == [(ids[1], 0), (ids[2], 1), (ids[0], 2)]
    async with api.db.connect() as conn:
        assert (await conn.execute(select(grouping_rules.c.order_key).where(
            grouping_rules.c.id == foreign))).scalar() == 5
    for bad in ({}, {"orders": [1]}, {"orders": {ids[0]: "x"}}, {"orders": {ids[0]: True}}):
        status, error = await api.call("PATCH", "grouping_rules/reorder/", json=bad)
        assert status == 400 and error["attr"] == "orders", bad


async def test_scopes_and_other_projects(api):
    status, rule = await api.call("POST", "suppression_rules/", json={"filters": RESIZE})
    assert status == 201
    reader = await api.new_key(scopes=["error_tracking:read"])
    assert (await api.call("GET", "suppression_rules/", key=reader))[0] == 200
    assert (await api.call("GET", f"suppression_rules/{rule['id']}/", key=reader))[0] == 200
    for method, tail, body in [("POST", "suppression_rules/", {}), ("PATCH", f"suppression_rules/{rule['id']}/", {}),
                               ("DELETE", f"suppression_rules/{rule['id']}/", None),
                               ("PATCH", "suppression_rules/reorder/", {"orders": {}})]:
        status, error = await api.call(method, tail, key=reader, json=body)
        assert status == 403 and error["code"] == "permission_denied", (method, tail)
    assert (await api.call("GET", "suppression_rules/", key=None))[0] == 401

    # A key of another project: 404 for that project's rules, exactly like a missing one.
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    status, missing = await api.call("GET", f"suppression_rules/{uuid.uuid4()}/", key=other_key, project=other)
    assert status == 404
    assert (await api.call("GET", f"suppression_rules/{rule['id']}/", key=other_key, project=other)) == (404, missing)
    for method in ("PATCH", "PUT", "DELETE"):
        status, _ = await api.call(method, f"suppression_rules/{rule['id']}/", key=other_key, project=other, json={})
        assert status == 404, method
    assert (await api.call("GET", "suppression_rules/", key=other_key, project=other))[1]["count"] == 0
    assert (await api.call("GET", "suppression_rules/", key=other_key))[0] == 404
    assert (await api.call("GET", f"suppression_rules/{rule['id']}/"))[1]["sampling_rate"] == 1.0


async def test_environments_base_and_bad_bodies(api):
    status, rule = await api.call("POST", "grouping_rules/", json={"filters": TYPE_ERROR})
    headers = {"Authorization": f"Bearer {api.secret}"}
    async with api.client.get(api.path("grouping_rules/", base="environments"), headers=headers) as resp:
        assert resp.status == 200 and (await resp.json())["results"][0]["id"] == rule["id"]
    async with api.client.post(api.path("grouping_rules/"), data=b"{nope", headers=headers) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "parse_error"
    deep: dict = {"type": "AND", "values": []}
    for _ in range(20):
        deep = {"type": "AND", "values": [deep]}
    status, error = await api.call("POST", "grouping_rules/", json={"filters": deep})
    assert status == 400 and error["attr"] == "filters"
    status, error = await api.call("POST", "grouping_rules/", json={"filters": TYPE_ERROR, "description": 5})
    assert status == 400 and error["attr"] == "description"
    assert (await api.call("GET", "grouping_rules/not-a-uuid/"))[0] == 404
