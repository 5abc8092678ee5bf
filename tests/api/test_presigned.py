import hashlib

import pytest

from symbols.signing import Signer
from symbols.storage import LocalBlobStore
from tests.fixtures.s3 import post_presigned
from tests.support.api import BLOBS


def sha(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


async def start(api, *sets, **flags):
    body = {"symbol_sets": [dict(s) for s in sets], **flags}
    return await api.call("POST", "symbol_sets/bulk_start_upload/", json=body)


async def finish(api, hashes: dict):
    return await api.call("POST", "symbol_sets/bulk_finish_upload/", json={"content_hashes": hashes})


async def upload_all(api, blobs: dict[str, bytes]) -> dict[str, str]:
    """The whole client flow; {chunk_id: symbol_set_id}."""
    sets = [{"chunk_id": c, "content_hash": sha(d)} for c, d in blobs.items()]
    status, body = await start(api, *sets)
    assert status == 201, body
    ids = {}
    for chunk_id, entry in body["id_map"].items():
        target = entry["presigned_url"]
        status, text = await post_presigned(target["url"], target["fields"], blobs[chunk_id])
        assert status in (200, 201, 204), text
        ids[chunk_id] = entry["symbol_set_id"]
    status, body = await finish(api, {ids[c]: sha(blobs[c]) for c in ids})
    assert (status, body) == (201, {"success": True})
    return ids


async def test_presigned_flow_round_trip(matrix_api):
    api = matrix_api
    ids = await upload_all(api, {f"c-{name}": data for name, data in BLOBS.items()})
    is_local = isinstance(api.store, LocalBlobStore)
    for name, data in BLOBS.items():
        _, item = await api.call("GET", f"symbol_sets/{ids['c-' + name]}/")
        assert item["content_hash"] == sha(data)
        _, download = await api.call("GET", f"symbol_sets/{item['id']}/download/")
        assert download["url"].startswith(api.base_url) == is_local
        assert await api.fetch(download["url"]) == (200, data)
    jobs = await api.jobs()
    assert sorted(j.payload for j in jobs) == sorted(f'{{"symbol_set_id":"{i}"}}' for i in ids.values())


async def test_upload_proxy_with_s3_goes_through_the_service(api_factory):
    api = await api_factory("sqlite", "s3", upload_proxy=True)
    status, body = await start(api, {"chunk_id": "a", "content_hash": sha(BLOBS["gzip"])})
    target = body["id_map"]["a"]["presigned_url"]
    assert target["url"] == api.base_url + "/uploads/"
    assert await post_presigned(target["url"], target["fields"], BLOBS["gzip"]) == (204, "")
    assert (await api.store.head(target["fields"]["key"])).size == len(BLOBS["gzip"])
    status, _ = await finish(api, {body["id_map"]["a"]["symbol_set_id"]: sha(BLOBS["gzip"])})
    assert status == 201


async def test_proxy_upload_enforces_policy(api_factory):
    api = await api_factory(max_upload_bytes=1000)
    _, body = await start(api, {"chunk_id": "a"})
    target = body["id_map"]["a"]["presigned_url"]
    status, text = await post_presigned(target["url"], target["fields"], b"{" + b" " * 2000 + b"}")
    assert status == 413 and '"file_too_large"' in text
    assert await api.store.head(target["fields"]["key"]) is None
    forged = dict(target["fields"], key="symbolsets/1/other")
    status, text = await post_presigned(target["url"], forged, b"{}")
    assert status == 400 and '"key"' in text
    tampered = dict(target["fields"], policy=target["fields"]["policy"][:-2] + "AA")
    status, text = await post_presigned(target["url"], tampered, b"{}")
    assert status == 403 and "invalid_policy" in text
    expired = Signer(b"test-secret").sign({"key": target["fields"]["key"], "max": 1000}, -10)
    status, text = await post_presigned(target["url"], dict(target["fields"], policy=expired), b"{}")
    assert status == 403 and "expired" in text


async def test_unchanged_content_is_skipped_and_conflicts(api):
    ids = await upload_all(api, {"a": BLOBS["raw_json"]})
    # same hash: nothing to upload
    status, body = await start(api, {"chunk_id": "a", "content_hash": sha(BLOBS["raw_json"])})
    assert (status, body) == (201, {"id_map": {}})
    # different hash: refused by default
    other = {"chunk_id": "a", "content_hash": sha(BLOBS["gzip"])}
    status, body = await start(api, other)
    assert (status, body["code"]) == (400, "content_hash_mismatch")
    # skip_on_conflict keeps the stored one
    status, body = await start(api, other, skip_on_conflict=True)
    assert (status, body) == (201, {"id_map": {}})
    # both flags: refused
    status, body = await start(api, other, skip_on_conflict=True, force=True)
    assert (status, body["code"]) == (400, "invalid_conflict_handling")
    # no hash while content is stored
    status, body = await start(api, {"chunk_id": "a"})
    assert (status, body["code"]) == (400, "content_hash_required")
    _, item = await api.call("GET", f"symbol_sets/{ids['a']}/")
    assert item["content_hash"] == sha(BLOBS["raw_json"])
    # force re-arms the same symbol set with a new key
    status, body = await start(api, other, force=True)
    assert status == 201 and body["id_map"]["a"]["symbol_set_id"] == ids["a"]
    _, rearmed = await api.call("GET", f"symbol_sets/{ids['a']}/")
    assert rearmed["content_hash"] is None and rearmed["storage_ptr"] != item["storage_ptr"]
    assert await api.store.head(item["storage_ptr"]) is None


async def test_batch_validation_codes(api):
    status, body = await start(api, {"chunk_id": "a"}, {"chunk_id": "a"})
    assert (status, body["code"]) == (400, "invalid_chunk_ids")
    status, body = await start(api, {"chunk_id": ""})
    assert (status, body["code"]) == (400, "invalid_chunk_ids")
    status, body = await start(api, {"chunk_id": "a", "release_id": "nope"})
    assert (status, body["code"]) == (400, "invalid_release_id")
    status, body = await start(api, {"chunk_id": "a", "release_id": "8b3c2a1e-1111-4a4a-9a9a-0123456789ab"})
    assert (status, body["code"]) == (400, "invalid_release_id")
    status, body = await start(api, *({"chunk_id": f"c{i}"} for i in range(1001)))
    assert (status, body["code"]) == (400, "too_many_symbol_sets")
    status, body = await api.call("POST", "symbol_sets/bulk_start_upload/", json={"force": "yes"})
    assert (status, body["attr"]) == (400, "force")
    status, body = await start(api)
    assert (status, body) == (201, {"id_map": {}})
    _, listing = await api.call("GET", "symbol_sets/")
    assert listing["count"] == 0


async def test_release_binding_and_mismatch(api):
    _, r1 = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    _, r2 = await api.call("POST", "releases/", json={"version": "2", "project": "web"})
    ids = await upload_all(api, {"a": BLOBS["raw_json"]})
    # an orphan set may join a release without re-uploading
    status, body = await start(api, {"chunk_id": "a", "release_id": r1["id"], "content_hash": sha(BLOBS["raw_json"])})
    assert (status, body) == (201, {"id_map": {}})
    _, item = await api.call("GET", f"symbol_sets/{ids['a']}/")
    assert item["release"]["id"] == r1["id"] and item["release"]["version"] == "1"
    status, body = await start(api, {"chunk_id": "a", "release_id": r2["id"], "content_hash": sha(BLOBS["gzip"])})
    assert (status, body["code"]) == (400, "release_id_mismatch")
    # legacy form: chunk_ids + release_id
    status, body = await api.call(
        "POST", "symbol_sets/bulk_start_upload/", json={"chunk_ids": ["b", "c"], "release_id": r2["id"]}
    )
    assert status == 201 and sorted(body["id_map"]) == ["b", "c"]
    _, listing = await api.call("GET", "symbol_sets/", params={"ref": "b"})
    assert listing["results"][0]["release"]["id"] == r2["id"]


async def test_finish_codes(api_factory):
    api = await api_factory(max_upload_bytes=1000)
    _, body = await start(api, {"chunk_id": "a"}, {"chunk_id": "big"})
    a, big = body["id_map"]["a"], body["id_map"]["big"]
    status, resp = await finish(api, {a["symbol_set_id"]: "h"})
    assert (status, resp["code"]) == (400, "file_not_found")
    status, resp = await finish(api, {"8b3c2a1e-1111-4a4a-9a9a-0123456789ab": "h"})
    assert (status, resp["code"]) == (400, "symbol_set_not_found")
    status, resp = await finish(api, {"not-a-uuid": "h"})
    assert (status, resp["code"]) == (400, "symbol_set_not_found")
    status, resp = await finish(api, {a["symbol_set_id"]: ""})
    assert (status, resp["code"]) == (400, "content_hash_required")
    status, resp = await api.call("POST", "symbol_sets/bulk_finish_upload/", json={"content_hashes": None})
    assert (status, resp["code"]) == (400, "content_hash_required")
    status, resp = await finish(api, {})
    assert (status, resp) == (201, {"success": True})
    # an object over the limit (as a store without policy checks would accept) is deleted with its row
    await api.store.put_bytes(big["presigned_url"]["fields"]["key"], b"x" * 1001)
    status, resp = await finish(api, {big["symbol_set_id"]: "h"})
    assert (status, resp["code"]) == (413, "file_too_large")  # as the direct path answers
    assert await api.store.head(big["presigned_url"]["fields"]["key"]) is None
    status, _ = await api.call("GET", f"symbol_sets/{big['symbol_set_id']}/")
    assert status == 404
    assert await api.jobs() == []
    # finishing twice enqueues once
    await post_presigned(a["presigned_url"]["url"], a["presigned_url"]["fields"], BLOBS["raw_json"])
    for _ in range(2):
        status, _ = await finish(api, {a["symbol_set_id"]: sha(BLOBS["raw_json"])})
        assert status == 201
    assert len(await api.jobs()) == 1


async def test_single_start_and_finish_upload(api):
    status, body = await api.call("POST", "symbol_sets/start_upload/", params={"chunk_id": "one"})
    assert status == 201 and set(body) == {"presigned_url", "symbol_set_id"}
    set_id = body["symbol_set_id"]
    status, resp = await api.call("PUT", f"symbol_sets/{set_id}/finish_upload/", json={})
    assert (status, resp["code"]) == (400, "content_hash_required")
    status, resp = await api.call("PUT", f"symbol_sets/{set_id}/finish_upload/", json={"content_hash": "h"})
    assert (status, resp["code"]) == (400, "file_not_found")
    target = body["presigned_url"]
    await post_presigned(target["url"], target["fields"], BLOBS["container_v2_zstd"])
    status, resp = await api.call(
        "PUT", f"symbol_sets/{set_id}/finish_upload/", json={"content_hash": sha(BLOBS["container_v2_zstd"])}
    )
    assert (status, resp) == (200, {"success": True})
    status, _ = await api.call("PUT", "symbol_sets/8b3c2a1e-1111-4a4a-9a9a-0123456789ab/finish_upload/",
                               json={"content_hash": "h"})
    assert status == 404
    assert len(await api.jobs()) == 1


@pytest.mark.parametrize("path", ["bulk_start_upload", "bulk_start_upload/"])
async def test_routes_without_trailing_slash(api, path):
    status, body = await api.call("POST", f"symbol_sets/{path}", json={"symbol_sets": [{"chunk_id": "x"}]})
    assert status == 201 and "x" in body["id_map"]


@pytest.mark.parametrize("store_kind", ["local", "s3"])
async def test_download_links_follow_presign_expiry(api_factory, store_kind):
    """SYMBOLS_PRESIGN_EXPIRY_SECONDS sets how long a download link works (both stores)."""
    import time
    from urllib.parse import parse_qs, urlsplit

    api = await api_factory("sqlite", store_kind, presign_expiry_seconds=1234)
    status, body = await api.upload("expiring", BLOBS["raw_json"])
    assert status == 201, body
    before = int(time.time())
    status, download = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/download/")
    assert status == 200
    query = parse_qs(urlsplit(download["url"]).query)
    if store_kind == "local":
        payload = Signer(b"test-secret").verify(query["token"][0])
        assert before + 1234 <= payload["exp"] <= int(time.time()) + 1234
    else:
        assert query["X-Amz-Expires"] == ["1234"]
    status, fetched = await api.fetch(download["url"])
    assert (status, fetched) == (200, BLOBS["raw_json"])
