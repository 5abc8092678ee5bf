"""Hostile requests (issue 15): replayed upload policies, forged download keys, foreign
Host headers, and NUL bytes in every field that reaches the database."""

from __future__ import annotations

import hashlib

import aiohttp
import pytest

from symbols.signing import Signer
from tests.fixtures.s3 import post_presigned
from tests.support.api import BLOBS, resolve

DATA = BLOBS["raw_json"]


def sha(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


async def _start(api, chunk_id: str) -> tuple[str, dict]:
    status, body = await api.call("POST", "symbol_sets/bulk_start_upload/",
                                  json={"symbol_sets": [{"chunk_id": chunk_id}]})
    assert status == 201, body
    entry = body["id_map"][chunk_id]
    return entry["symbol_set_id"], entry["presigned_url"]


async def test_an_upload_policy_cannot_be_replayed_after_finish(api):
    set_id, target = await _start(api, "replayed")
    assert await post_presigned(target["url"], target["fields"], DATA) == (204, "")
    status, _ = await api.call("PUT", f"symbol_sets/{set_id}/finish_upload/", json={"content_hash": sha(DATA)})
    assert status == 200
    status, text = await post_presigned(target["url"], target["fields"], b'{"version":3,"other":1}')
    assert status == 409 and '"upload_closed"' in text
    assert await api.store.get_bytes(target["fields"]["key"]) == DATA


async def test_an_upload_policy_cannot_recreate_a_deleted_set(api):
    set_id, target = await _start(api, "deleted")
    assert (await api.call("DELETE", f"symbol_sets/{set_id}/"))[0] == 204
    status, text = await post_presigned(target["url"], target["fields"], DATA)
    assert status == 409 and '"upload_closed"' in text
    assert await api.store.head(target["fields"]["key"]) is None


@pytest.mark.parametrize("key", ["../../etc/passwd", "/abs", "a\\b", "a//b", ""])
async def test_forged_download_keys_are_404(api, key):
    token = Signer(b"test-secret").sign({"get": key}, 60)
    status, body = await api.fetch(f"{api.base_url}/downloads/?token={token}")
    assert status == 404 and b'"not_found"' in body


async def _get(api, path: str, host: str) -> tuple[int, dict]:
    url = f"{api.base_url}/api/projects/{api.project_id}/error_tracking/{path}"
    async with aiohttp.ClientSession() as http, http.get(
            url, headers={"Host": host, "Authorization": f"Bearer {api.secret}"}) as resp:
        return resp.status, await resp.json()


async def test_links_are_never_built_from_a_foreign_host_header(api_factory):
    api = await api_factory()
    await api.upload("one", DATA)
    await api.upload("two", DATA)
    status, body = await _get(api, "symbol_sets/?limit=1", "evil.example")
    assert (status, body["code"], body["attr"]) == (400, "invalid_host", "Host")
    status, body = await _get(api, "symbol_sets/?limit=1", "localhost:1234")
    assert status == 200 and body["next"].startswith("http://localhost:1234/")
    allowed = await api_factory(allowed_hosts=("symbols.example",))
    await allowed.upload("one", DATA)
    await allowed.upload("two", DATA)
    status, body = await _get(allowed, "symbol_sets/?limit=1", "symbols.example")
    assert status == 200 and body["next"].startswith("http://symbols.example/")
    public = await api_factory(public_url="https://errors.example")
    await public.upload("one", DATA)
    await public.upload("two", DATA)
    status, body = await _get(public, "symbol_sets/?limit=1", "evil.example")
    assert status == 200 and body["next"].startswith("https://errors.example/")


NUL = "a\x00b"


async def _nul_requests(api) -> dict[str, tuple[int, dict]]:
    """Each route that takes a chunk id, ref, release version or hash, or a content hash."""
    status, body = await api.upload("good", DATA)
    assert status == 201, body
    good_id = body["symbol_set_id"]
    pending_id, _ = await _start(api, "pending")
    out = {
        "direct_upload_chunk_id": await api.upload(NUL, DATA),
        "bulk_start_chunk_id": await api.call("POST", "symbol_sets/bulk_start_upload/",
                                              json={"symbol_sets": [{"chunk_id": NUL}]}),
        "bulk_start_content_hash": await api.call(
            "POST", "symbol_sets/bulk_start_upload/",
            json={"symbol_sets": [{"chunk_id": "x", "content_hash": NUL}]}),
        "start_upload_chunk_id": await api.call("POST", "symbol_sets/start_upload/", params={"chunk_id": NUL}),
        "bulk_finish_content_hash": await api.call("POST", "symbol_sets/bulk_finish_upload/",
                                                   json={"content_hashes": {pending_id: NUL}}),
        "finish_content_hash": await api.call("PUT", f"symbol_sets/{pending_id}/finish_upload/",
                                              json={"content_hash": NUL}),
        "list_ref": await api.call("GET", "symbol_sets/", params={"ref": NUL}),
        "patch_ref": await api.call("PATCH", f"symbol_sets/{good_id}/", json={"ref": NUL}),
        "release_version": await api.call("POST", "releases/", json={"version": NUL}),
        "release_hash_id": await api.call("POST", "releases/", json={"version": "1", "hash_id": NUL}),
        "release_metadata": await api.call("POST", "releases/", json={"version": "2", "metadata": {"k": NUL}}),
        "release_by_hash": await api.call("GET", "releases/hash/a%00b/"),
    }
    return out


async def test_nul_bytes_are_bad_input_on_every_route(db_api):
    for route, (status, body) in (await _nul_requests(db_api)).items():
        assert status in (400, 404), (route, status, body)
        assert status == 404 or body["type"] == "validation_error", (route, body)


async def test_a_frame_with_a_nul_byte_fails_alone(db_api):
    await db_api.upload("good", DATA)
    frames = [
        {"platform": "web:javascript", "chunk_id": NUL, "lineno": 1, "colno": 1},
        {"platform": "web:javascript", "filename": f"https://x/{NUL}.js", "lineno": 1, "colno": 1},
        {"platform": "web:javascript", "chunk_id": "good", "lineno": 1, "colno": 1},
    ]
    status, body = await resolve(db_api, {"frames": frames})
    assert status == 200, body
    failures = [f["resolve_failure"] for f in body["frames"]]
    assert failures[:2] == ["NoSourcemapUploaded", "NoSourcemapUploaded"]
    assert failures[2] != "NoSourcemapUploaded"
