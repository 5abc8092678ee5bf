"""The issues API: list, retrieve (and its 308), update, DELETE; over a real server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from symbols.db.tables import issues
from tests.support.issues import T0, seed_issue


def _z(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def _seed(api):
    async with api.db.begin() as conn:
        old = await seed_issue(conn, api.project_id, "a", name="Old bug", distinct_ids=("u1", "u1", "u2"))
        new = await seed_issue(
            conn, api.project_id, "b", name="ValueError", description="bad value", start=T0 + timedelta(days=1)
        )
    return old, new


async def test_list_shape_order_filters_and_pages(db_api):
    api = db_api
    old, new = await _seed(api)
    status, body = await api.call("GET", "issues/")
    assert status == 200 and body["count"] == 2 and body["previous"] is None
    assert [i["id"] for i in body["results"]] == [new, old]
    assert body["results"][1] == {
        "id": old,
        "status": "active",
        "name": "Old bug",
        "description": "boom",
        "first_seen": _z(T0),
        "assignee": None,
        "external_issues": [],
        "cohort": None,
        "occurrences": 3,
        "users": 2,
        "last_seen": _z(T0 + timedelta(minutes=2)),
    }

    async def ids(**params):
        status, body = await api.call("GET", "issues/", params=params)
        assert status == 200, body
        return [i["id"] for i in body["results"]]

    assert await ids(order_by="occurrences") == [old, new]
    assert await ids(order_by="first_seen", order_direction="asc") == [old, new]
    assert await ids(order_by="last_seen", order_direction="ASC") == [old, new]
    assert await ids(search="VALUE") == [new]
    assert await ids(search="boom") == [old]
    assert await ids(status="active") == [new, old]
    assert await ids(status="resolved") == []
    status, page = await api.call("GET", "issues/", params={"limit": "1", "offset": "1"})
    assert [i["id"] for i in page["results"]] == [old] and "offset" not in page["previous"]

    for params, attr in (({"status": "gone"}, "status"), ({"order_by": "name"}, "order_by"),
                         ({"order_direction": "up"}, "order_direction")):
        status, err = await api.call("GET", "issues/", params=params)
        assert (status, err["code"], err["attr"]) == (400, "invalid_choice", attr)
    assert (await api.call("GET", "issues/", params={"limit": "x"}))[0] == 400


async def test_retrieve_and_the_308_for_a_fingerprint_of_another_issue(db_api):
    api = db_api
    old, new = await _seed(api)
    status, body = await api.call("GET", f"issues/{old}/")
    assert status == 200 and body["id"] == old and body["users"] == 2
    assert await api.call("GET", f"issues/{old}/", params={"fingerprint": "b"}) == (308, {"issue_id": new})
    assert (await api.call("GET", f"issues/{old}/", params={"fingerprint": "a"}))[1]["id"] == old
    assert (await api.call("GET", f"issues/{old}/", params={"fingerprint": "unknown"}))[1]["id"] == old
    status, err = await api.call("GET", "issues/6f1c3b52-5d0b-4c4e-9a55-4d2f0d2d8f00/")
    assert (status, err["code"], err["detail"]) == (404, "not_found", "Issue not found.")
    assert (await api.call("GET", "issues/not-a-uuid/"))[0] == 404


async def test_update_status_name_description(db_api):
    api = db_api
    old, _ = await _seed(api)
    async with api.db.connect() as conn:
        before = (await conn.execute(select(issues.c.state_updated_at).where(issues.c.id == old))).scalar_one()
    status, body = await api.call(
        "PATCH", f"issues/{old}/", json={"status": "resolved", "name": "Renamed", "description": None}
    )
    assert status == 200
    assert (body["id"], body["status"], body["name"], body["description"]) == (old, "resolved", "Renamed", None)
    assert body["occurrences"] == 3
    async with api.db.connect() as conn:
        after = (await conn.execute(select(issues.c.state_updated_at).where(issues.c.id == old))).scalar_one()
    assert after > before
    status, body = await api.call("PUT", f"issues/{old}/", json={"status": "suppressed"})
    assert (status, body["status"], body["name"]) == (200, "suppressed", "Renamed")

    for payload, code, attr in (
        ({"status": "archived"}, "invalid_choice", "status"),
        ({"status": "pending_release"}, "invalid_choice", "status"),
        ({"name": 5}, "invalid", "name"),
        ({"description": "x" * 10_001}, "max_length", "description"),
    ):
        status, err = await api.call("PATCH", f"issues/{old}/", json=payload)
        assert (status, err["type"], err["code"], err["attr"]) == (400, "validation_error", code, attr)
    assert (await api.call("PATCH", f"issues/{old}/", data=b"[1]"))[0] == 400
    assert (await api.call("PATCH", f"issues/{old}/", data=b"{oops"))[0] == 400
    assert (await api.call("GET", f"issues/{old}/"))[1]["status"] == "suppressed"


async def test_delete_405_and_scopes(api):
    old, _ = await _seed(api)
    status, body = await api.call("DELETE", f"issues/{old}/")
    assert (status, body["code"]) == (405, "method_not_allowed")
    assert body["detail"].startswith("Hard delete of this model is not allowed.")
    reader = await api.new_key(scopes=["error_tracking:read"])
    assert (await api.call("GET", "issues/", key=reader))[0] == 200
    for method, tail in (("PATCH", f"issues/{old}/"), ("PATCH", f"issues/{old}/assign/"),
                         ("POST", f"issues/{old}/merge/"), ("POST", f"issues/{old}/split/"),
                         ("POST", "issues/bulk/"), ("DELETE", f"issues/{old}/")):
        assert (await api.call(method, tail, key=reader, json={}))[0] == 403
    assert (await api.call("GET", "issues/", key=None))[0] == 401
    async with api.client.get(
        api.path(f"issues/{old}", base="environments"), headers={"Authorization": f"Bearer {api.secret}"}
    ) as resp:
        assert resp.status == 200 and (await resp.json())["id"] == old


async def test_another_projects_key_gets_404_and_sees_only_its_issues(db_api):
    api = db_api
    old, _ = await _seed(api)
    other = await api.new_project()
    async with api.db.begin() as conn:
        theirs = await seed_issue(conn, other, "a", name="Theirs")
    key = await api.new_key(projects=[other])
    assert (await api.call("GET", f"issues/{old}/", key=key))[0] == 404
    assert (await api.call("GET", "issues/", key=key))[0] == 404
    status, body = await api.call("GET", "issues/", key=key, project=other)
    assert [i["id"] for i in body["results"]] == [theirs]
    for method, tail, payload in (
        ("GET", f"issues/{old}/", None),
        ("PATCH", f"issues/{old}/", {"name": "x"}),
        ("PATCH", f"issues/{old}/assign/", {"assignee": None}),
        ("POST", f"issues/{old}/merge/", {"ids": [theirs]}),
        ("POST", f"issues/{old}/split/", {"fingerprints": [{"fingerprint": "a"}]}),
    ):
        status, err = await api.call(method, tail, key=key, project=other, json=payload)
        assert (status, err["detail"]) == (404, "Issue not found."), (method, tail)
    # The fingerprint "a" is project 1's too: the 308 never points into another project.
    assert (await api.call("GET", f"issues/{theirs}/", key=key, project=other, params={"fingerprint": "a"}))[0] == 200
    assert (await api.call("GET", f"issues/{old}/"))[1]["name"] == "Old bug"


async def test_null_characters_are_refused_or_never_found(db_api):
    """PostgreSQL text cannot hold NUL: a 400 or a miss, never a database error."""
    api = db_api
    old, _ = await _seed(api)
    status, err = await api.call("PATCH", f"issues/{old}/", json={"name": "a\x00b"})
    assert (status, err["code"], err["attr"]) == (400, "null_characters_not_allowed", "name")
    status, err = await api.call("GET", "issues/", params={"search": "a\x00"})
    assert (status, err["code"], err["attr"]) == (400, "null_characters_not_allowed", "search")
    assert (await api.call("GET", f"issues/{old}/", params={"fingerprint": "a\x00"}))[1]["id"] == old
    assert (await api.call("GET", "fingerprints/resolve/", params={"fingerprint": "a\x00"}))[0] == 404
    split = {"fingerprints": [{"fingerprint": "a", "name": "x\x00"}]}
    status, err = await api.call("POST", f"issues/{old}/split/", json=split)
    assert (status, err["attr"]) == (400, "fingerprints__0__name")
