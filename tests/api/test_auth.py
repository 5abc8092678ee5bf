import asyncio
import time

import pytest
from sqlalchemy import event

from symbols.db.access import SCOPE_READ, SCOPE_WRITE, list_api_keys, revoke_api_key
from tests.support.api import BLOBS

UNKNOWN_ID = "8b3c2a1e-1111-4a4a-9a9a-0123456789ab"


@pytest.mark.parametrize(
    "header, code",
    [
        (None, "not_authenticated"),
        ("Bearer phx_not_a_key", "authentication_failed"),
        ("Basic dXNlcjpwYXNz", "authentication_failed"),
        ("Bearer ", "authentication_failed"),
        ("Bearer " + "x" * 5000, "authentication_failed"),
    ],
)
async def test_missing_or_invalid_key_is_401(api, header, code):
    headers = {"Authorization": header} if header is not None else {}
    status, body = await api.call("GET", "symbol_sets/", key=None, headers=headers)
    assert status == 401
    assert body == {"type": "authentication_error", "code": code, "detail": body["detail"], "attr": None}


async def test_revoked_key_is_401(api_factory):
    api = await api_factory(api_key_cache_seconds=0)
    secret = await api.new_key()
    assert (await api.call("GET", "symbol_sets/", key=secret))[0] == 200
    async with api.db.begin() as conn:
        key = (await list_api_keys(conn))[-1]
        await revoke_api_key(conn, key.id)
    assert (await api.call("GET", "symbol_sets/", key=secret))[0] == 401


async def test_revoked_key_stops_working_within_the_key_cache_seconds(api_factory):
    api = await api_factory(api_key_cache_seconds=0.5)
    secret = await api.new_key()
    assert (await api.call("GET", "symbol_sets/", key=secret))[0] == 200
    async with api.db.begin() as conn:
        key = (await list_api_keys(conn))[-1]
        await revoke_api_key(conn, key.id)
    started = time.monotonic()
    while (await api.call("GET", "symbol_sets/", key=secret))[0] == 200:
        assert time.monotonic() - started < 0.5 + 1.0, "a revoked key kept working past its cache time"
        await asyncio.sleep(0.05)
    assert (await api.call("GET", "symbol_sets/", key=secret))[0] == 401
    # Cached, it worked on for a while: the process did not look it up on each request.
    assert time.monotonic() - started >= 0.3


async def test_a_key_and_its_projects_are_one_query(api_factory):
    api = await api_factory(api_key_cache_seconds=0)
    other = await api.new_project()
    secret = await api.new_key(projects=[api.project_id, other])
    statements = []
    engine = api.db.engine.sync_engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert (await api.call("GET", "symbol_sets/", key=secret))[0] == 200
        assert (await api.call("GET", "symbol_sets/", key=secret, project=other))[0] == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    key_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "api_key" in s]
    assert len(key_reads) == 2, key_reads  # one per request: the key joined with its projects
    assert all("api_key_projects" in s and "JOIN" in s.upper() for s in key_reads)


async def test_scopes(api):
    read_only = await api.new_key(scopes=[SCOPE_READ])
    write_only = await api.new_key(scopes=[SCOPE_WRITE])
    assert (await api.call("GET", "symbol_sets/", key=read_only))[0] == 200
    status, body = await api.upload("a", BLOBS["raw_json"], key=read_only)
    assert (status, body["code"], body["type"]) == (403, "permission_denied", "authentication_error")
    for method, tail, kwargs in [
        ("POST", "symbol_sets/bulk_start_upload/", {"json": {}}),
        ("POST", "symbol_sets/bulk_finish_upload/", {"json": {"content_hashes": {}}}),
        ("POST", "symbol_sets/bulk_delete/", {"json": {"ids": [UNKNOWN_ID]}}),
        ("DELETE", f"symbol_sets/{UNKNOWN_ID}/", {}),
        ("PATCH", f"symbol_sets/{UNKNOWN_ID}/", {"json": {}}),
        ("POST", "releases/", {"json": {"version": "1", "project": "x"}}),
    ]:
        assert (await api.call(method, tail, key=read_only, **kwargs))[0] == 403, tail
    # write implies read
    assert (await api.upload("a", BLOBS["raw_json"], key=write_only))[0] == 201
    assert (await api.call("GET", "symbol_sets/", key=write_only))[0] == 200


async def test_projects_not_bound_look_like_missing_ones(api):
    other = await api.new_project()
    status_other, body_other = await api.call("GET", "symbol_sets/", project=other)
    status_missing, body_missing = await api.call("GET", "symbol_sets/", project=999999)
    status_junk, body_junk = await api.call("GET", "symbol_sets/", project="abc")
    assert status_other == status_missing == status_junk == 404
    assert body_other == body_missing == body_junk
    assert body_other == {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


async def test_a_key_never_sees_another_projects_data(api):
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    status, body = await api.upload("secret-chunk", BLOBS["raw_json"], key=other_key, project=other)
    assert status == 201
    other_id = body["symbol_set_id"]
    # through our own project's path, the other project's set does not exist
    for method, tail in [("GET", f"symbol_sets/{other_id}/"), ("GET", f"symbol_sets/{other_id}/download/"),
                         ("DELETE", f"symbol_sets/{other_id}/"), ("PATCH", f"symbol_sets/{other_id}/")]:
        assert (await api.call(method, tail, json={}))[0] == 404, (method, tail)
    status, body = await api.call("POST", "symbol_sets/bulk_delete/", json={"ids": [other_id]})
    assert (status, body) == (200, {"deleted": 0})
    status, body = await api.call("POST", "symbol_sets/bulk_finish_upload/", json={"content_hashes": {other_id: "h"}})
    assert (status, body["code"]) == (400, "symbol_set_not_found")
    _, listing = await api.call("GET", "symbol_sets/")
    assert listing["count"] == 0
    # the same ref in our project is independent
    assert (await api.upload("secret-chunk", BLOBS["gzip"]))[0] == 201
    _, theirs = await api.call("GET", f"symbol_sets/{other_id}/", key=other_key, project=other)
    assert theirs["ref"] == "secret-chunk" and theirs["team_id"] == other


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "8b3c2a1e-1111-4a4a-9a9a-0123456789abXX", "%00"])
async def test_non_uuid_ids_are_404(api, bad_id):
    for method, tail in [("GET", f"symbol_sets/{bad_id}/"), ("GET", f"symbol_sets/{bad_id}/download/"),
                         ("DELETE", f"symbol_sets/{bad_id}/"), ("GET", f"releases/{bad_id}/")]:
        status, body = await api.call(method, tail)
        assert status == 404 and body["code"] == "not_found", (method, tail)


async def test_environments_base_path(api):
    status, body = await api.upload("a", BLOBS["raw_json"])
    assert status == 201
    async with api.client.get(
        f"/api/environments/{api.project_id}/error_tracking/symbol_sets/{body['symbol_set_id']}/",
        headers={"Authorization": f"Bearer {api.secret}"},
    ) as resp:
        assert resp.status == 200 and (await resp.json())["ref"] == "a"
