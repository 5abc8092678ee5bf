"""Issue 14's differences from PostHog's symbol-set and release API: each test sends
PostHog's request and checks PostHog's answer."""

from __future__ import annotations

import hashlib
import io

import aiohttp

from symbols.symbol_sets import container
from tests.fixtures.s3 import post_presigned
from tests.support.api import BLOBS
from tests.support.bundles import APP_JS, APP_MAP


def sha(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


async def _start(api, *sets, **flags):
    return await api.call("POST", "symbol_sets/bulk_start_upload/", json={"symbol_sets": list(sets), **flags})


async def _upload(api, chunk_id: str, data: bytes, release_id: str | None = None) -> str:
    status, body = await _start(api, {"chunk_id": chunk_id, "content_hash": sha(data), "release_id": release_id})
    assert status == 201, body
    entry = body["id_map"][chunk_id]
    target = entry["presigned_url"]
    assert (await post_presigned(target["url"], target["fields"], data))[0] in (200, 201, 204)
    status, _ = await api.call("POST", "symbol_sets/bulk_finish_upload/",
                               json={"content_hashes": {entry["symbol_set_id"]: sha(data)}})
    assert status == 201
    return entry["symbol_set_id"]


async def test_a_second_finish_upload_keeps_the_first_content_hash(api):
    status, body = await api.call("POST", "symbol_sets/start_upload/", params={"chunk_id": "one"})
    set_id, target = body["symbol_set_id"], body["presigned_url"]
    await post_presigned(target["url"], target["fields"], BLOBS["raw_json"])
    status, _ = await api.call("PUT", f"symbol_sets/{set_id}/finish_upload/", json={"content_hash": "first"})
    assert status == 200
    status, _ = await api.call("PUT", f"symbol_sets/{set_id}/finish_upload/", json={"content_hash": "second"})
    assert status == 200
    _, item = await api.call("GET", f"symbol_sets/{set_id}/")
    assert item["content_hash"] == "first"
    status, _ = await api.call("POST", "symbol_sets/bulk_finish_upload/", json={"content_hashes": {set_id: "third"}})
    assert status == 201
    assert (await api.call("GET", f"symbol_sets/{set_id}/"))[1]["content_hash"] == "first"
    assert len(await api.jobs()) == 1


async def test_list_search_and_release_filters(db_api):
    api = db_api
    _, r1 = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    await _upload(api, "static/chunks/Main-ABC.js", BLOBS["raw_json"], r1["id"])
    await _upload(api, "static/chunks/other_1.js", BLOBS["gzip"])
    await _upload(api, "static/chunks/other%1.js", BLOBS["container_v2_zstd"])
    status, page = await api.call("GET", "symbol_sets/", params={"search": "main-abc"})
    assert status == 200 and [s["ref"] for s in page["results"]] == ["static/chunks/Main-ABC.js"]
    assert page["count"] == 1
    # LIKE's wildcards are plain text in a search
    _, page = await api.call("GET", "symbol_sets/", params={"search": "other_"})
    assert [s["ref"] for s in page["results"]] == ["static/chunks/other_1.js"]
    _, page = await api.call("GET", "symbol_sets/", params={"search": "chunks/", "order_by": "ref"})
    assert page["count"] == 3
    _, page = await api.call("GET", "symbol_sets/", params={"release": r1["id"]})
    assert [s["ref"] for s in page["results"]] == ["static/chunks/Main-ABC.js"]
    _, page = await api.call("GET", "symbol_sets/", params={"release": "8b3c2a1e-1111-4a4a-9a9a-0123456789ab"})
    assert (page["count"], page["results"]) == (0, [])
    status, body = await api.call("GET", "symbol_sets/", params={"release": "nope"})
    assert (status, body["attr"]) == (400, "release")


async def test_has_uploaded_file_in_list_and_retrieve(api):
    done = await _upload(api, "done", BLOBS["raw_json"])
    _, body = await _start(api, {"chunk_id": "pending"})
    pending = body["id_map"]["pending"]["symbol_set_id"]
    _, page = await api.call("GET", "symbol_sets/", params={"order_by": "ref"})
    assert {s["ref"]: s["has_uploaded_file"] for s in page["results"]} == {"done": True, "pending": False}
    assert (await api.call("GET", f"symbol_sets/{done}/"))[1]["has_uploaded_file"] is True
    assert (await api.call("GET", f"symbol_sets/{pending}/"))[1]["has_uploaded_file"] is False


async def test_same_content_under_another_release_is_skipped(api):
    _, r1 = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    _, r2 = await api.call("POST", "releases/", json={"version": "2", "project": "web"})
    set_id = await _upload(api, "a", BLOBS["raw_json"], r1["id"])
    status, body = await _start(api, {"chunk_id": "a", "release_id": r2["id"], "content_hash": sha(BLOBS["raw_json"])})
    assert (status, body) == (201, {"id_map": {}})
    assert (await api.call("GET", f"symbol_sets/{set_id}/"))[1]["release"]["id"] == r1["id"]


async def test_skip_release_on_conflict(api):
    _, r1 = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    _, r2 = await api.call("POST", "releases/", json={"version": "2", "project": "web"})
    set_id = await _upload(api, "a", BLOBS["raw_json"], r1["id"])
    other = {"chunk_id": "a", "release_id": r2["id"], "content_hash": sha(BLOBS["gzip"])}
    status, body = await _start(api, other)
    assert (status, body["code"], body["attr"]) == (400, "release_id_mismatch", "release_id")
    status, body = await _start(api, other, skip_release_on_conflict=True, force=True)
    assert status == 201 and body["id_map"]["a"]["symbol_set_id"] == set_id
    _, item = await api.call("GET", f"symbol_sets/{set_id}/")
    assert item["release"]["id"] == r1["id"]  # kept its release
    status, body = await _start(api, other, skip_release_on_conflict="yes")
    assert (status, body["attr"]) == (400, "skip_release_on_conflict")


async def test_patch_and_delete_a_release(api):
    _, release = await api.call("POST", "releases/", json={"version": "1", "project": "web", "hash_id": "h1"})
    _, other = await api.call("POST", "releases/", json={"version": "2", "project": "web", "hash_id": "h2"})
    set_id = await _upload(api, "a", BLOBS["raw_json"], release["id"])
    path = f"releases/{release['id']}/"
    status, changed = await api.call("PATCH", path, json={"version": "1.0.1", "metadata": {"note": "hotfix"}})
    assert status == 200
    assert changed == {**release, "version": "1.0.1", "metadata": {"note": "hotfix"}}
    assert await api.call("GET", path) == (200, changed)
    status, body = await api.call("PATCH", path, json={"hash_id": "h2"})
    assert (status, body["code"], body["attr"]) == (400, "hash_id_in_use", "hash_id")
    status, body = await api.call("PATCH", path, json={"version": None})
    assert (status, body["attr"]) == (400, "version")
    status, changed = await api.call("PUT", path, json={"hash_id": "h3", "project": 7})
    assert (status, changed["hash_id"], changed["project"]) == (200, "h3", "7")
    assert (await api.call("GET", "releases/hash/h3/"))[1]["id"] == release["id"]
    assert (await api.call("PATCH", "releases/8b3c2a1e-1111-4a4a-9a9a-0123456789ab/", json={}))[0] == 404

    status, _ = await api.call("DELETE", path)
    assert status == 204
    assert (await api.call("GET", path))[0] == 404
    assert (await api.call("DELETE", path))[0] == 404
    _, item = await api.call("GET", f"symbol_sets/{set_id}/")
    assert item["release"] is None and item["has_uploaded_file"] is True  # the set stays, detached
    assert (await api.call("GET", f"releases/{other['id']}/"))[0] == 200


async def test_a_key_of_another_project_cannot_change_or_delete_a_release(api):
    _, release = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    other = await api.new_project()
    their_key = await api.new_key(projects=[other])
    path = f"releases/{release['id']}/"
    for method, kwargs in (("PATCH", {"json": {"version": "x"}}), ("DELETE", {})):
        assert (await api.call(method, path, key=their_key, project=other, **kwargs))[0] == 404
        assert (await api.call(method, path, key=their_key, **kwargs))[0] == 404
    assert (await api.call("GET", path))[1]["version"] == "1"


def _pair_form(source_map: bytes | None, minified: bytes | None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if source_map is not None:
        form.add_field("source_map", io.BytesIO(source_map), filename="app.js.map")
    if minified is not None:
        form.add_field("minified", io.BytesIO(minified), filename="app.js")
    return form


async def test_the_older_multipart_patch_uploads_the_map_and_the_script(api_factory):
    api = await api_factory(max_upload_bytes=len(APP_MAP) + len(APP_JS) + 10)
    _, release = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    _, body = await _start(api, {"chunk_id": "vendor-chunk", "release_id": release["id"]})
    set_id = body["id_map"]["vendor-chunk"]["symbol_set_id"]
    path = f"symbol_sets/{set_id}/"
    assert (await api.call("GET", path))[1]["has_uploaded_file"] is False

    status, answer = await api.call("PATCH", path, data=_pair_form(APP_MAP, APP_JS))
    assert (status, answer) == (204, None)
    _, item = await api.call("GET", path)
    packed = container.pack(APP_MAP, APP_JS)
    assert item["content_hash"] == sha(packed) and item["has_uploaded_file"] is True
    assert (item["ref"], item["release"]["id"]) == ("vendor-chunk", release["id"])  # unchanged
    _, link = await api.call("GET", f"{path}download/")
    status, blob = await api.fetch(link["url"])
    stored = container.unpack(blob)
    assert (stored.source_map, stored.minified_source) == (APP_MAP, APP_JS)
    assert [j.payload for j in await api.jobs()] == [f'{{"symbol_set_id":"{set_id}"}}']
    # The same files again: nothing new to store or process.
    assert (await api.call("PATCH", path, data=_pair_form(APP_MAP, APP_JS)))[0] == 204
    assert len(await api.jobs()) == 1

    status, body = await api.call("PATCH", path, data=_pair_form(APP_MAP, None))
    assert (status, body["code"], body["attr"]) == (400, "required", "minified")
    status, body = await api.call("PATCH", path, data=_pair_form(APP_MAP + b" " * 20, APP_JS))
    assert (status, body["code"]) == (413, "file_too_large")
    other = await api.new_project()
    their_key = await api.new_key(projects=[other])
    assert (await api.call("PATCH", path, key=their_key, project=other, data=_pair_form(APP_MAP, APP_JS)))[0] == 404
    # JSON still changes the ref.
    status, item = await api.call("PATCH", path, json={"ref": "renamed"})
    assert (status, item["ref"]) == (200, "renamed")
