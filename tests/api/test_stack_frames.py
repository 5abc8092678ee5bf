"""``POST stack_frames/batch_get/``: the frames the pipeline stored, as PostHog serves them."""

from __future__ import annotations

import pytest

from symbols.db.access import create_api_key
from tests.support.pipeline import app_exception, captured, close_harness, make_harness

KEYS = {"id", "raw_id", "created_at", "contents", "resolved", "context", "symbol_set_ref", "release"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def stored(request, api_factory, tmp_path):
    """A service whose project has one resolved and one waiting event stored."""
    api = await api_factory(request.param)
    harness = await make_harness(api.db, tmp_path, project_id=api.project_id)
    await harness.upload("chunk-app")
    resolved = captured({"$exception_list": [app_exception()]})
    late = app_exception(chunk_id="chunk-late", url="https://cdn.example.com/assets/late.js", kind="TypeError")
    waiting = captured({"$exception_list": [late]})
    await harness.publish(resolved, waiting)
    await harness.drain()
    frames = {
        name: (await harness.event(e.uuid)).properties["$exception_list"][0]["stacktrace"]["frames"]
        for name, e in (("resolved", resolved), ("waiting", waiting))
    }
    yield api, frames
    await close_harness(harness)


async def test_batch_get_serves_stored_frames_on_both_bases(stored):
    api, frames = stored
    top = frames["resolved"][-1]
    for base in ("projects", "environments"):
        async with api.client.post(
            api.path("stack_frames/batch_get/", base=base), json={"raw_ids": [top["raw_id"], "f" * 128]},
            headers={"Authorization": f"Bearer {api.secret}"},
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
        [frame] = body["results"]
        assert set(frame) == KEYS
        assert frame["raw_id"] == top["raw_id"] and frame["resolved"] is True
        assert frame["contents"] == top
        assert frame["contents"]["resolved_name"] == "checkedQuantity"
        assert frame["symbol_set_ref"] == "chunk-app" and frame["release"] is None
        assert frame["context"]["line"]["number"] == 9


async def test_batch_get_part_ids_symbol_set_filter_and_unresolved_frames(stored):
    api, frames = stored
    ids = [f["raw_id"] + "/0" for f in frames["resolved"]]
    status, body = await api.call("POST", "stack_frames/batch_get/", json={"raw_ids": ids})
    assert status == 200 and len(body["results"]) == 4
    status, listing = await api.call("GET", "symbol_sets/")
    # The uploaded set, and the placeholder recorded for the chunk id nobody uploaded.
    by_ref = {s["ref"]: s for s in listing["results"]}
    assert by_ref.keys() == {"chunk-app", "chunk-late"}
    assert (by_ref["chunk-app"]["has_uploaded_file"], by_ref["chunk-late"]["has_uploaded_file"]) == (True, False)
    symbol_set, placeholder = by_ref["chunk-app"], by_ref["chunk-late"]
    status, body = await api.call("POST", "stack_frames/batch_get/",
                                  json={"raw_ids": ids, "symbol_set": symbol_set["id"]})
    assert len(body["results"]) == 4
    late_ids = [f["raw_id"] for f in frames["waiting"]]
    status, body = await api.call("POST", "stack_frames/batch_get/",
                                  json={"raw_ids": late_ids, "symbol_set": symbol_set["id"]})
    assert body == {"results": []}
    status, body = await api.call("POST", "stack_frames/batch_get/", json={"raw_ids": late_ids})
    assert {(r["resolved"], r["symbol_set_ref"]) for r in body["results"]} == {(False, "chunk-late")}
    status, by_placeholder = await api.call("POST", "stack_frames/batch_get/",
                                            json={"raw_ids": late_ids + ids, "symbol_set": placeholder["id"]})
    assert by_placeholder == body  # the frames waiting for it, not the resolved ones
    assert {r["contents"]["resolve_failure"] for r in body["results"]} == {"NoSourcemapUploaded"}


@pytest.mark.parametrize("body, attr", [
    ({"raw_ids": "abc"}, "raw_ids"),
    ({"raw_ids": [1, 2]}, "raw_ids"),
    ({"raw_ids": ["x" * 201]}, "raw_ids"),
    ({"raw_ids": ["a"] * 1001}, "raw_ids"),
    ({"raw_ids": ["a"], "symbol_set": "not-a-uuid"}, "symbol_set"),
])
async def test_batch_get_rejects_bad_input(api, body, attr):
    status, answer = await api.call("POST", "stack_frames/batch_get/", json=body)
    assert status == 400
    assert answer["type"] == "validation_error" and answer["attr"] == attr and answer["code"]


async def test_batch_get_needs_a_key_for_the_project(stored):
    api, frames = stored
    raw_id = frames["resolved"][-1]["raw_id"]
    status, _ = await api.call("POST", "stack_frames/batch_get/", key=None, json={"raw_ids": [raw_id]})
    assert status == 401
    other = await api.new_project()
    async with api.db.begin() as conn:
        _, secret = await create_api_key(conn, label="o", scopes=["error_tracking:read"], project_ids=[other])
    status, body = await api.call("POST", "stack_frames/batch_get/", key=secret, project=other,
                                  json={"raw_ids": [raw_id]})
    assert status == 200 and body == {"results": []}
    status, _ = await api.call("POST", "stack_frames/batch_get/", key=secret, json={"raw_ids": [raw_id]})
    assert status in (403, 404)
