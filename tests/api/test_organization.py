"""The organization's members and roles (the assignees there are), read-only."""

from __future__ import annotations

from symbols.db.users import create_role, create_user


async def _get(api, path: str, key: str | None = "default"):
    headers = {"Authorization": f"Bearer {api.secret if key == 'default' else key}"} if key else {}
    async with api.client.get(path, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_members_and_roles_lists(db_api):
    api = db_api
    async with api.db.begin() as conn:
        ada = await create_user(conn, "ada@example.com", "Ada")
        await create_user(conn, "bob@example.com", "Bob")
        role = await create_role(conn, "Frontend")
    status, body = await _get(api, "/api/organizations/@current/members/?limit=1")
    assert status == 200 and body["count"] == 2 and "offset=1" in body["next"]
    assert body["results"][0]["user"] == {"id": ada.id, "first_name": "Ada", "last_name": "", "email": "ada@example.com"}
    status, body = await _get(api, "/api/organizations/@current/roles")
    assert status == 200 and body["count"] == 1
    assert [(r["id"], r["name"]) for r in body["results"]] == [(role.id, "Frontend")]

    assert (await _get(api, "/api/organizations/7/members/"))[0] == 404
    assert (await _get(api, "/api/organizations/@current/roles/", key=None))[0] == 401
    other = await api.new_project()
    reader = await api.new_key(scopes=["error_tracking:read"], projects=[other])
    assert (await _get(api, "/api/organizations/@current/members/", key=reader))[0] == 200
