"""Issue actions over a real server: assign, merge, split, bulk (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from symbols.db.tables import events, issue_fingerprints
from symbols.db.users import create_role, create_user
from tests.support.issues import T0, seed_issue

ROLE_ERROR = "Assignee role does not belong to this organization."


async def _people(api):
    async with api.db.begin() as conn:
        user = await create_user(conn, "ada@example.com", "Ada")
        role = await create_role(conn, "Frontend")
    return user.id, role.id


async def _issues(api, *fingerprints, project=None):
    async with api.db.begin() as conn:
        return [await seed_issue(conn, project or api.project_id, fp) for fp in fingerprints]


async def _assignee(api, issue_id):
    return (await api.call("GET", f"issues/{issue_id}/"))[1]["assignee"]


async def test_assign_user_role_and_unassign(db_api):
    api = db_api
    user_id, role_id = await _people(api)
    [issue] = await _issues(api, "a")
    for sent, stored in (
        ({"type": "user", "id": user_id}, {"type": "user", "id": user_id}),
        ({"type": "user", "id": str(user_id)}, {"type": "user", "id": user_id}),
        ({"type": "role", "id": role_id.upper()}, {"type": "role", "id": role_id}),
    ):
        assert await api.call("PATCH", f"issues/{issue}/assign/", json={"assignee": sent}) == (200, {"success": True})
        assert await _assignee(api, issue) == stored
    assert await api.call("PATCH", f"issues/{issue}/assign/", json={"assignee": None}) == (200, {"success": True})
    assert await _assignee(api, issue) is None


async def test_assign_validation_matches_posthog(api):
    user_id, _ = await _people(api)
    [issue] = await _issues(api, "a")
    cases = [
        ({"type": "user", "id": "abc"}, "invalid", "assignee__id", "Provide a numeric user ID."),
        ({"type": "user", "id": 1.5}, "invalid", "assignee__id", "Expected a user ID or role UUID."),
        ({"type": "user", "id": True}, "invalid", "assignee__id", "Expected a user ID or role UUID."),
        ({"type": "role", "id": "abc"}, "invalid", "assignee__id", "Provide a valid role UUID."),
        ({"type": "team", "id": 1}, "invalid_choice", "assignee__type", '"team" is not a valid choice.'),
        ({"id": 1}, "required", "assignee__type", "This field is required."),
        ({"type": "user"}, "required", "assignee__id", "This field is required."),
        ("ada", "invalid", "assignee", "Invalid data. Expected a dictionary, but got str."),
        ({"type": "user", "id": user_id + 1}, "invalid", None,
         "Assignee user does not belong to this organization."),
        ({"type": "user", "id": "9" * 12}, "invalid", None, "Assignee user does not belong to this organization."),
        ({"type": "role", "id": "6f1c3b52-5d0b-4c4e-9a55-4d2f0d2d8f00"}, "invalid", None, ROLE_ERROR),
    ]
    for assignee, code, attr, detail in cases:
        status, err = await api.call("PATCH", f"issues/{issue}/assign/", json={"assignee": assignee})
        assert (status, err) == (
            400, {"type": "validation_error", "code": code, "detail": detail, "attr": attr}
        ), assignee
    assert await _assignee(api, issue) is None


async def _event_issue_ids(api, project_id) -> dict[str, str]:
    async with api.db.connect() as conn:
        rows = await conn.execute(select(events.c.issue_id, events.c.properties).where(events.c.project_id == project_id))
        found = {}
        for issue_id, props in rows:
            assert props["$exception_issue_id"] == issue_id
            found[props["$exception_fingerprint"]] = issue_id
    return found


async def _versions(api) -> dict[str, tuple[str, int]]:
    async with api.db.connect() as conn:
        return {r.fingerprint: (r.issue_id, r.version) for r in await conn.execute(select(issue_fingerprints))}


async def test_merge_invariants_and_isolation(db_api):
    api = db_api
    user_id, _ = await _people(api)
    async with api.db.begin() as conn:
        target = await seed_issue(conn, api.project_id, "t", distinct_ids=("u1",), start=T0 + timedelta(hours=1))
        s1 = await seed_issue(conn, api.project_id, "s1", distinct_ids=("u1", "u2"), start=T0)
        s2 = await seed_issue(conn, api.project_id, "s2", distinct_ids=("u3",), start=T0 + timedelta(hours=3))
    other = await api.new_project()
    [foreign] = await _issues(api, "f", project=other)
    for source in (s1, s2):
        await api.call("PATCH", f"issues/{source}/assign/", json={"assignee": {"type": "user", "id": user_id}})

    assert await api.call("POST", f"issues/{target}/merge/", json={"ids": [foreign]}) == (200, {"success": False})
    assert await api.call("POST", f"issues/{target}/merge/", json={"ids": [s1, s2, foreign, target]}) == (
        200, {"success": True},
    )
    status, merged = await api.call("GET", f"issues/{target}/")
    assert (merged["occurrences"], merged["users"], merged["first_seen"], merged["last_seen"]) == (
        4, 3, "2026-12-01T12:00:00Z", "2026-12-01T15:00:00Z",
    )
    assert merged["assignee"] == {"type": "user", "id": user_id}
    assert (await api.call("GET", f"issues/{s1}/"))[0] == 404
    assert (await api.call("GET", f"issues/{target}/", params={"fingerprint": "s1"}))[1]["id"] == target
    assert await _versions(api) == {"t": (target, 0), "s1": (target, 1), "s2": (target, 1), "f": (foreign, 0)}
    assert await _event_issue_ids(api, api.project_id) == {"t": target, "s1": target, "s2": target}
    assert await _event_issue_ids(api, other) == {"f": foreign}
    their_key = await api.new_key(projects=[other])
    status, theirs = await api.call("POST", f"issues/{foreign}/merge/", key=their_key, project=other, json={"ids": [target]})
    assert (status, theirs) == (200, {"success": False})
    assert (await api.call("GET", f"issues/{target}/"))[0] == 200

    for payload, code, attr in (({}, "required", "ids"), ({"ids": []}, "empty", "ids"),
                                ({"ids": "x"}, "not_a_list", "ids"), ({"ids": [target, "x"]}, "invalid", "ids__1"),
                                ({"ids": [target] * 1001}, "max_length", "ids")):
        status, err = await api.call("POST", f"issues/{target}/merge/", json=payload)
        assert (status, err["code"], err["attr"]) == (400, code, attr)


async def test_split_makes_new_issues(db_api):
    api = db_api
    async with api.db.begin() as conn:
        first = await seed_issue(conn, api.project_id, "a", distinct_ids=("u1", "u2"))
        second = await seed_issue(conn, api.project_id, "b", distinct_ids=("u3",), start=T0 + timedelta(hours=2))
    await api.call("POST", f"issues/{first}/merge/", json={"ids": [second]})
    status, body = await api.call(
        "POST", f"issues/{first}/split/",
        json={"fingerprints": [{"fingerprint": "b", "name": "B alone", "description": "split"}, {"fingerprint": "zz"}]},
    )
    assert status == 200 and body["success"] is True and len(body["new_issue_ids"]) == 1
    [new] = body["new_issue_ids"]
    status, issue = await api.call("GET", f"issues/{new}/")
    assert (issue["name"], issue["description"], issue["status"], issue["occurrences"], issue["users"]) == (
        "B alone", "split", "active", 1, 1,
    )
    rest = (await api.call("GET", f"issues/{first}/"))[1]
    assert (rest["occurrences"], rest["users"], rest["last_seen"]) == (2, 2, "2026-12-01T12:01:00Z")
    assert await _versions(api) == {"a": (first, 0), "b": (new, 2)}
    assert await _event_issue_ids(api, api.project_id) == {"a": first, "b": new}
    assert await api.call("GET", f"issues/{first}/", params={"fingerprint": "b"}) == (308, {"issue_id": new})
    status, fps = await api.call("GET", "fingerprints/", params={"issue_id": new})
    assert [f["fingerprint"] for f in fps["results"]] == ["b"]

    status, body = await api.call("POST", f"issues/{first}/split/", json={"fingerprints": [{"fingerprint": "a"}]})
    [untitled] = body["new_issue_ids"]
    assert (await api.call("GET", f"issues/{untitled}/"))[1]["name"] == "Untitled issue"
    assert await api.call("POST", f"issues/{first}/split/", json={}) == (200, {"success": True, "new_issue_ids": []})
    for payload, code, attr in (
        ({"fingerprints": "a"}, "not_a_list", "fingerprints"),
        ({"fingerprints": ["a"]}, "invalid", "fingerprints__0"),
        ({"fingerprints": [{"name": "x"}]}, "required", "fingerprints__0__fingerprint"),
        ({"fingerprints": [{"fingerprint": None}]}, "null", "fingerprints__0__fingerprint"),
        ({"fingerprints": [{"fingerprint": "a", "name": 3}]}, "invalid", "fingerprints__0__name"),
    ):
        status, err = await api.call("POST", f"issues/{first}/split/", json=payload)
        assert (status, err["code"], err["attr"]) == (400, code, attr), payload


async def test_bulk_set_status_and_assign_skip_other_projects(db_api):
    api = db_api
    user_id, role_id = await _people(api)
    a, b = await _issues(api, "a", "b")
    other = await api.new_project()
    [foreign] = await _issues(api, "f", project=other)
    body = {"action": "set_status", "status": "resolved", "ids": [a, b, foreign]}
    assert await api.call("POST", "issues/bulk/", json=body) == (200, {"success": True})
    assert [(await api.call("GET", f"issues/{i}/"))[1]["status"] for i in (a, b)] == ["resolved", "resolved"]
    body = {"action": "assign", "assignee": {"type": "role", "id": role_id}, "ids": [a, foreign]}
    assert await api.call("POST", "issues/bulk/", json=body) == (200, {"success": True})
    assert await _assignee(api, a) == {"type": "role", "id": role_id}
    assert await _assignee(api, b) is None
    their_key = await api.new_key(projects=[other])
    theirs = (await api.call("GET", f"issues/{foreign}/", key=their_key, project=other))[1]
    assert (theirs["status"], theirs["assignee"]) == ("active", None)
    body = {"action": "assign", "assignee": None, "ids": [a]}
    assert await api.call("POST", "issues/bulk/", json=body) == (200, {"success": True})
    assert await _assignee(api, a) is None

    invalid_status = {"type": "validation_error", "code": "invalid", "detail": "Invalid status", "attr": None}
    for status_value in ("archived", None):
        assert await api.call("POST", "issues/bulk/", json={"action": "set_status", "status": status_value, "ids": [a]}) == (
            400, invalid_status,
        )
    for payload, code, attr in (
        ({"action": "delete", "ids": [a]}, "invalid_choice", "action"),
        ({"action": "assign", "ids": []}, "empty", "ids"),
        ({"action": "assign", "ids": [a], "assignee": {"type": "user", "id": "x"}}, "invalid", "assignee__id"),
        ({"action": "assign", "ids": [a], "assignee": {"type": "user", "id": user_id + 5}}, "invalid", None),
    ):
        status, err = await api.call("POST", "issues/bulk/", json=payload)
        assert (status, err["code"], err["attr"]) == (400, code, attr), payload
    assert await _assignee(api, a) is None
