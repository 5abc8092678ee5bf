import hashlib

import orjson
import pytest

from tests.support.api import BLOBS


async def test_round_trip_every_format_identical_bytes(matrix_api):
    api = matrix_api
    for name, data in BLOBS.items():
        status, body = await api.upload(f"chunk-{name}", data)
        assert status == 201, body
        status, item = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/")
        assert status == 200
        assert item["ref"] == f"chunk-{name}"
        assert item["content_hash"] == hashlib.sha512(data).hexdigest()
        status, download = await api.call("GET", f"symbol_sets/{item['id']}/download/")
        assert status == 200
        status, fetched = await api.fetch(download["url"])
        assert (status, fetched) == (200, data), name
    assert len(await api.jobs()) == len(BLOBS)


async def test_upload_writes_a_processing_job(api):
    status, body = await api.upload("chunk-1", BLOBS["raw_json"])
    assert status == 201
    [job] = await api.jobs()
    assert job.kind == "process_symbol_set"
    assert orjson.loads(job.payload) == {"symbol_set_id": body["symbol_set_id"]}
    assert (job.state, job.project_id, job.attempts) == ("queued", api.project_id, 0)


async def test_identical_reupload_is_a_noop_and_new_content_replaces(api):
    _, first = await api.upload("chunk-1", BLOBS["raw_json"])
    _, item = await api.call("GET", f"symbol_sets/{first['symbol_set_id']}/")
    status, again = await api.upload("chunk-1", BLOBS["raw_json"])
    assert status == 201 and again["symbol_set_id"] == first["symbol_set_id"]
    _, same = await api.call("GET", f"symbol_sets/{first['symbol_set_id']}/")
    assert same["storage_ptr"] == item["storage_ptr"]
    assert len(await api.jobs()) == 1

    status, replaced = await api.upload("chunk-1", BLOBS["gzip"])
    assert status == 201 and replaced["symbol_set_id"] == first["symbol_set_id"]
    _, new = await api.call("GET", f"symbol_sets/{first['symbol_set_id']}/")
    assert new["content_hash"] == hashlib.sha512(BLOBS["gzip"]).hexdigest()
    assert new["storage_ptr"] != item["storage_ptr"]
    assert await api.store.head(item["storage_ptr"]) is None  # old blob removed
    assert len(await api.jobs()) == 2


@pytest.mark.parametrize(
    "data, code",
    [
        (b"posthog_error_tracking" + (2).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"\0" * 20,
         "unsupported_symbol_type"),
        (b"posthog_error_tracking" + (9).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\0" * 20,
         "unsupported_container_version"),
        (b"\x00\x01 not a map at all", "unsupported_format"),
    ],
)
async def test_unsupported_blobs_refused_and_nothing_stored(api, data, code):
    status, body = await api.upload("chunk-x", data)
    assert status == 400
    assert body == {"type": "validation_error", "code": code, "detail": body["detail"], "attr": "file"}
    status, listing = await api.call("GET", "symbol_sets/")
    assert listing["count"] == 0
    assert not any((api.store.root).rglob("*")) if (api.store.root).exists() else True


async def test_oversized_direct_upload_is_413_and_nothing_stored(api_factory):
    api = await api_factory(max_upload_bytes=1000)
    status, body = await api.upload("big", b"{" + b" " * 1500 + b"}")
    assert status == 413
    assert body["code"] == "file_too_large" and body["type"] == "invalid_request"
    _, listing = await api.call("GET", "symbol_sets/")
    assert listing["count"] == 0
    assert [p for p in api.store.root.rglob("*") if p.is_file()] == [] if api.store.root.exists() else True
    assert await api.jobs() == []
    status, _ = await api.upload("small", b"{" + b" " * 900 + b"}")
    assert status == 201


async def test_direct_upload_validation(api):
    status, body = await api.call("POST", "symbol_sets/", data=b"x")
    assert (status, body["code"], body["attr"]) == (400, "invalid_chunk_ids", "chunk_id")
    status, body = await api.call("POST", "symbol_sets/", params={"chunk_id": "a"}, data=b"{}")
    assert (status, body["attr"]) == (400, "file")
    status, body = await api.upload("a", BLOBS["raw_json"], release_id="not-a-uuid")
    assert (status, body["code"]) == (400, "invalid_release_id")
    status, body = await api.upload("a", BLOBS["raw_json"], release_id="8b3c2a1e-1111-4a4a-9a9a-0123456789ab")
    assert (status, body["code"]) == (400, "invalid_release_id")
