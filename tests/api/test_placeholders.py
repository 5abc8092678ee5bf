"""Placeholder symbol sets end to end (issue 14, PostHog's behaviour): events captured over
HTTP and stored by the service's own worker leave one placeholder per chunk id nobody
uploaded (``status=invalid``, ``has_uploaded_file`` false), at most 1000 per project;
the normal upload routes fill the placeholder and the waiting events resolve; another
project never sees it."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest
from sqlalchemy import func, select

from symbols.db.symbol_sets import MAX_PLACEHOLDERS_PER_PROJECT
from symbols.db.tables import events
from symbols.symbol_sets.container import pack
from tests.fixtures.s3 import post_presigned
from tests.support.capture import project_tokens
from tests.support.pipeline import APP, app_exception

WAIT_SECONDS = 60
BUNDLE = pack(APP.with_name("app.js.map").read_bytes(), APP.read_bytes())
NAMES = ["main", "orderTotal", "lineTotal", "checkedQuantity"]


def _event(token: str, chunk_id: str | None) -> dict:
    return {"event": "$exception", "uuid": str(uuid.uuid4()), "distinct_id": "u1", "properties": {
        "token": token, "$exception_list": [app_exception(chunk_id=chunk_id)]}}


async def _capture(service, token: str, *chunk_ids: str | None) -> list[str]:
    """Send one event per chunk id in one ``/batch/`` request; their uuids."""
    batch = [_event(token, c) for c in chunk_ids]
    async with service.client.post("/batch/", json={"api_key": token, "batch": batch}) as resp:
        assert resp.status == 200, await resp.text()
    uuids = [e["uuid"] for e in batch]
    for _ in range(WAIT_SECONDS * 20):  # the embedded worker stores them
        async with service.db.connect() as conn:
            stored = (await conn.execute(
                select(func.count()).select_from(events).where(events.c.uuid.in_(uuids)))).scalar_one()
        if stored == len(uuids):
            return uuids
        await asyncio.sleep(0.05)
    raise AssertionError(f"{stored} of {len(uuids)} events stored after {WAIT_SECONDS} s")


async def _frames(service, event_uuid: str, **who) -> list[dict]:
    status, body = await service.call("GET", f"../events/{event_uuid}/", **who)
    assert status == 200, body
    return body["properties"]["$exception_list"][0]["stacktrace"]["frames"]


async def _resolved(service, event_uuid: str, **who) -> list[dict]:
    """The event's frames once the late upload resolved them."""
    for _ in range(WAIT_SECONDS * 20):
        frames = await _frames(service, event_uuid, **who)
        if all(f["resolved"] for f in frames):
            return frames
        await asyncio.sleep(0.05)
    raise AssertionError(f"event {event_uuid} not resolved after {WAIT_SECONDS} s: {frames}")


async def _listing(service, *, key: str = "default", project: int | None = None, **params) -> dict:
    status, page = await service.call("GET", "symbol_sets/", key=key, project=project,
                                      params={"order_by": "ref", **params})
    assert status == 200, page
    return page


@pytest.fixture(params=["sqlite", "postgresql"])
async def service(request, api_factory):
    return await api_factory(request.param, worker=True, job_poll_seconds=0.1)


async def test_a_missing_chunk_id_leaves_one_placeholder_that_an_upload_fills(service):
    token = (await project_tokens(service.db))[service.project_id]
    first, second, by_url = await _capture(service, token, "chunk-missing", "chunk-missing", None)

    invalid = await _listing(service, status="invalid")
    [placeholder] = invalid["results"]  # one for the chunk id; none for the URL-only frames
    assert invalid["count"] == 1
    assert (placeholder["ref"], placeholder["has_uploaded_file"], placeholder["storage_ptr"],
            placeholder["failure_reason"], placeholder["content_hash"]) == ("chunk-missing", False, None, None, None)
    assert (await _listing(service, status="valid"))["results"] == []
    status, item = await service.call("GET", f"symbol_sets/{placeholder['id']}/")
    assert status == 200 and item["has_uploaded_file"] is False
    for event_uuid in (first, second):
        frames = await _frames(service, event_uuid)
        assert {(f["resolved"], f["resolve_failure"], f["symbol_set_ref"]) for f in frames} == {
            (False, "NoSourcemapUploaded", "chunk-missing")}
    # A frame naming the placeholder is not resolved with it, and says how to upload.
    frame = {"platform": "web:javascript", "filename": "https://cdn.example.com/assets/app.js",
             "function": "i", "lineno": 1, "colno": 77, "chunk_id": "chunk-missing"}
    status, body = await service.call("POST", "stack_frames/resolve/", json={"frames": [frame], "explain": True})
    [answer] = body["frames"]
    assert (status, answer["resolved"], answer["resolve_failure"]) == (200, False, "NoSourcemapUploaded")
    details = " ".join(s["detail"] for s in answer["explain"])
    assert f"symbol set {placeholder['id']} is a placeholder for ref 'chunk-missing'" in details
    assert "upload its map with `symbols sourcemap upload" in details

    # PostHog's upload routes fill the placeholder: same set, the waiting events resolve.
    content_hash = hashlib.sha512(BUNDLE).hexdigest()
    status, body = await service.call("POST", "symbol_sets/bulk_start_upload/", json={
        "symbol_sets": [{"chunk_id": "chunk-missing", "content_hash": content_hash}]})
    assert status == 201, body
    entry = body["id_map"]["chunk-missing"]
    assert entry["symbol_set_id"] == placeholder["id"]
    target = entry["presigned_url"]
    assert (await post_presigned(target["url"], target["fields"], BUNDLE))[0] in (200, 201, 204)
    status, _ = await service.call("POST", "symbol_sets/bulk_finish_upload/",
                                   json={"content_hashes": {placeholder["id"]: content_hash}})
    assert status == 201
    for event_uuid in (first, second):
        assert [f["resolved_name"] for f in await _resolved(service, event_uuid)] == NAMES
    assert (await _listing(service, status="invalid"))["results"] == []
    [filled] = (await _listing(service))["results"]
    assert (filled["id"], filled["has_uploaded_file"], filled["content_hash"]) == (
        placeholder["id"], True, content_hash)
    assert {f["resolve_failure"] for f in await _frames(service, by_url)} == {"NoSourcemapUploaded"}


async def test_another_project_never_sees_a_placeholder_and_has_its_own(service):
    other = await service.new_project()
    other_key = await service.new_key(projects=[other])
    tokens = await project_tokens(service.db)
    [mine] = await _capture(service, tokens[service.project_id], "chunk-shared")

    [placeholder] = (await _listing(service, status="invalid"))["results"]
    theirs = await _listing(service, key=other_key, project=other)
    assert (theirs["count"], theirs["results"]) == (0, [])
    assert (await service.call("GET", f"symbol_sets/{placeholder['id']}/", key=other_key, project=other))[0] == 404
    assert (await service.call("GET", f"symbol_sets/{placeholder['id']}/", key=other_key))[0] == 404

    [their_event] = await _capture(service, tokens[other], "chunk-shared")
    [their_placeholder] = (await _listing(service, key=other_key, project=other, status="invalid"))["results"]
    assert their_placeholder["ref"] == "chunk-shared" and their_placeholder["id"] != placeholder["id"]

    # The other project's single-set upload fills its own placeholder, never this one's.
    status, body = await service.call("POST", "symbol_sets/start_upload/", key=other_key, project=other,
                                      params={"chunk_id": "chunk-shared"})
    assert status == 201 and body["symbol_set_id"] == their_placeholder["id"]
    target = body["presigned_url"]
    assert (await post_presigned(target["url"], target["fields"], BUNDLE))[0] in (200, 201, 204)
    status, _ = await service.call("PUT", f"symbol_sets/{their_placeholder['id']}/finish_upload/", key=other_key,
                                   project=other, json={"content_hash": hashlib.sha512(BUNDLE).hexdigest()})
    assert status == 200
    assert [f["resolved_name"] for f in await _resolved(service, their_event, key=other_key, project=other)] == NAMES
    assert [s["id"] for s in (await _listing(service, status="invalid"))["results"]] == [placeholder["id"]]
    assert {f["resolved"] for f in await _frames(service, mine)} == {False}

    # A deleted placeholder comes back with the next event that names its chunk id.
    assert (await service.call("DELETE", f"symbol_sets/{placeholder['id']}/"))[0] == 204
    assert (await _listing(service))["results"] == []
    await _capture(service, tokens[service.project_id], "chunk-shared")
    [again] = (await _listing(service, status="invalid"))["results"]
    assert again["ref"] == "chunk-shared" and again["id"] != placeholder["id"]


async def test_a_flood_of_chunk_ids_stops_at_1000_placeholders(service):
    assert MAX_PLACEHOLDERS_PER_PROJECT == 1000
    token = (await project_tokens(service.db))[service.project_id]
    await _capture(service, token, *(f"bogus-{n:04}" for n in range(1000)))
    invalid = await _listing(service, status="invalid", limit=1000)
    assert invalid["count"] == 1000
    assert [s["ref"] for s in invalid["results"]] == [f"bogus-{n:04}" for n in range(1000)]

    [late] = await _capture(service, token, "bogus-1000")  # the 1001st distinct id
    assert (await _listing(service, status="invalid"))["count"] == 1000
    assert (await _listing(service, ref="bogus-1000"))["results"] == []
    assert {(f["resolve_failure"], f["symbol_set_ref"]) for f in await _frames(service, late)} == {
        ("NoSourcemapUploaded", "bogus-1000")}  # the event still waits for its map
    status, body = await service.upload("bogus-1000", BUNDLE)
    assert status == 201, body
    assert [f["resolved_name"] for f in await _resolved(service, late)] == NAMES
