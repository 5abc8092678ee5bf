"""The fingerprints API over a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support.issues import T0, seed_issue

UUID_ERROR = {
    "type": "validation_error", "code": "invalid", "detail": "issue_id must be a valid UUID", "attr": None,
}


async def _seed(api):
    other = await api.new_project()
    async with api.db.begin() as conn:
        a = await seed_issue(conn, api.project_id, "fp-a")
        b = await seed_issue(conn, api.project_id, "fp-b")
        foreign = await seed_issue(conn, other, "fp-x")
    return a, b, other, foreign


async def test_list_filter_retrieve_and_resolve(db_api):
    api = db_api
    a, b, _, _ = await _seed(api)
    status, body = await api.call("GET", "fingerprints/")
    assert status == 200 and body["count"] == 2 and body["next"] is None
    assert {r["fingerprint"]: r["issue_id"] for r in body["results"]} == {"fp-a": a, "fp-b": b}
    row = body["results"][0]
    assert set(row) == {"id", "fingerprint", "issue_id", "created_at", "first_seen"}
    assert {r["first_seen"] for r in body["results"]} == {T0.isoformat().replace("+00:00", "Z")}

    status, body = await api.call("GET", "fingerprints/", params={"issue_id": b})
    assert status == 200 and [r["fingerprint"] for r in body["results"]] == ["fp-b"]
    status, body = await api.call("GET", "fingerprints/", params={"limit": "1"})
    assert body["count"] == 2 and len(body["results"]) == 1 and "offset=1" in body["next"]
    assert (await api.call("GET", "fingerprints/", params={"issue_id": "nope"})) == (400, UUID_ERROR)

    status, one = await api.call("GET", f"fingerprints/{row['id']}/")
    assert status == 200 and one == row
    status, err = await api.call("GET", "fingerprints/not-a-uuid/")
    assert (status, err["detail"]) == (400, "Invalid fingerprint id")
    status, err = await api.call("GET", f"fingerprints/{a}/")
    assert (status, err["detail"]) == (404, "Fingerprint not found")

    status, found = await api.call("GET", "fingerprints/resolve/", params={"fingerprint": "fp-a"})
    assert status == 200 and found["issue_id"] == a and found["fingerprint"] == "fp-a"
    status, err = await api.call("GET", "fingerprints/resolve/")
    assert (status, err["detail"]) == (400, "fingerprint query parameter is required")
    assert (await api.call("GET", "fingerprints/resolve/", params={"fingerprint": "x" * 5000}))[0] == 404
    assert (await api.call("GET", "fingerprints/resolve/", params={"fingerprint": "fp-x"}))[0] == 404


async def test_delete_is_refused_and_both_bases_answer(api):
    await _seed(api)
    _, body = await api.call("GET", "fingerprints/")
    row_id = body["results"][0]["id"]
    async with api.client.delete(
        api.path(f"fingerprints/{row_id}/"), headers={"Authorization": f"Bearer {api.secret}"}
    ) as resp:
        assert resp.status == 405 and resp.headers["Allow"] == "GET"
        assert await resp.json() == {
            "type": "invalid_request",
            "code": "method_not_allowed",
            "detail": 'Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true',
            "attr": None,
        }
    async with api.client.get(
        api.path("fingerprints", base="environments"), headers={"Authorization": f"Bearer {api.secret}"}
    ) as resp:
        assert resp.status == 200 and (await resp.json())["count"] == 2


async def test_another_projects_key_sees_nothing(api):
    _, _, other, _ = await _seed(api)
    _, body = await api.call("GET", "fingerprints/")
    row_id = body["results"][0]["id"]
    their_key = await api.new_key(projects=[other])
    for tail in ("fingerprints/", f"fingerprints/{row_id}/", "fingerprints/resolve/?fingerprint=fp-a"):
        assert (await api.call("GET", tail, key=their_key))[0] == 404
    status, theirs = await api.call("GET", "fingerprints/", key=their_key, project=other)
    assert status == 200 and [r["fingerprint"] for r in theirs["results"]] == ["fp-x"]
    assert (await api.call("GET", f"fingerprints/{row_id}/", key=their_key, project=other))[0] == 404
    assert (await api.call("GET", "fingerprints/", key=None))[0] == 401
