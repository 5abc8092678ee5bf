from urllib.parse import parse_qs, urlsplit

import pytest

from symbols.db.symbol_sets import set_failure_reason, touch_last_used
from tests.support.api import BLOBS


async def make_sets(api, n: int) -> list[str]:
    ids = []
    for i in range(n):
        status, body = await api.upload(f"chunk-{i:02d}", BLOBS["raw_json"])
        assert status == 201
        ids.append(body["symbol_set_id"])
    return ids


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def test_pagination_edges(api):
    ids = await make_sets(api, 5)
    status, page = await api.call("GET", "symbol_sets/", params={"limit": "2", "order_by": "ref"})
    assert status == 200 and page["count"] == 5
    assert [r["id"] for r in page["results"]] == ids[:2]
    assert page["previous"] is None
    assert page["next"].startswith(api.base_url + api.path("symbol_sets/"))
    assert query(page["next"]) == {"limit": "2", "offset": "2", "order_by": "ref"}
    status, page = await api.call("GET", "symbol_sets/", params={"limit": "2", "offset": "2", "order_by": "ref"})
    assert [r["id"] for r in page["results"]] == ids[2:4]
    assert query(page["previous"]) == {"limit": "2", "order_by": "ref"}
    status, page = await api.call("GET", "symbol_sets/", params={"limit": "2", "offset": "4", "order_by": "ref"})
    assert [r["id"] for r in page["results"]] == ids[4:] and page["next"] is None
    assert query(page["previous"]) == {"limit": "2", "offset": "2", "order_by": "ref"}
    status, page = await api.call("GET", "symbol_sets/", params={"offset": "50"})
    assert (status, page["count"], page["results"], page["next"]) == (200, 5, [], None)
    status, page = await api.call("GET", "symbol_sets/", params={"limit": "5000", "offset": "1"})
    assert status == 200 and len(page["results"]) == 4 and query(page["previous"]) == {"limit": "1000"}
    for bad in ({"limit": "-1"}, {"limit": "abc"}, {"offset": "1.5"}, {"limit": "9" * 40}):
        status, body = await api.call("GET", "symbol_sets/", params=bad)
        assert status == 400 and body["attr"] == next(iter(bad)), bad


async def test_filters_and_ordering(api):
    ids = await make_sets(api, 3)
    async with api.db.begin() as conn:
        await set_failure_reason(conn, ids[1], '{"JavaScript":{"InvalidSourceMap":"bad"}}')
        await touch_last_used(conn, ids[2])
    _, page = await api.call("GET", "symbol_sets/", params={"ref": "chunk-01"})
    assert [r["id"] for r in page["results"]] == [ids[1]]
    assert page["results"][0]["failure_reason"] == '{"JavaScript":{"InvalidSourceMap":"bad"}}'
    _, page = await api.call("GET", "symbol_sets/", params={"status": "invalid"})
    assert [r["id"] for r in page["results"]] == [ids[1]]
    _, page = await api.call("GET", "symbol_sets/", params={"status": "valid", "order_by": "ref"})
    assert [r["id"] for r in page["results"]] == [ids[0], ids[2]]
    expectations = {
        "created_at": ids,
        "-created_at": ids[::-1],
        "ref": ids,
        "-ref": ids[::-1],
        "-last_used": [ids[2], ids[1], ids[0]],
        "last_used": [ids[2], ids[0], ids[1]],
    }
    for order, expected in expectations.items():
        _, page = await api.call("GET", "symbol_sets/", params={"order_by": order})
        assert [r["id"] for r in page["results"]] == expected, order
    for bad in ({"status": "weird"}, {"order_by": "storage_ptr"}):
        status, body = await api.call("GET", "symbol_sets/", params=bad)
        assert (status, body["code"], body["attr"]) == (400, "invalid_choice", next(iter(bad)))


async def test_retrieve_shape(api):
    [set_id] = await make_sets(api, 1)
    status, item = await api.call("GET", f"symbol_sets/{set_id}/")
    assert status == 200
    assert set(item) == {"id", "ref", "team_id", "created_at", "storage_ptr", "failure_reason",
                         "content_hash", "last_used", "release", "url"}
    assert item["team_id"] == api.project_id and item["created_at"].endswith("Z")


async def test_update_ref_and_release(api):
    ids = await make_sets(api, 2)
    _, release = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    status, item = await api.call("PATCH", f"symbol_sets/{ids[0]}/", json={"ref": "renamed", "release_id": release["id"]})
    assert status == 200 and item["ref"] == "renamed" and item["release"]["id"] == release["id"]
    status, body = await api.call("PUT", f"symbol_sets/{ids[0]}/", json={"ref": "chunk-01"})
    assert (status, body["code"], body["attr"]) == (400, "ref_in_use", "ref")
    status, body = await api.call("PATCH", f"symbol_sets/{ids[0]}/", json={"release_id": "nope"})
    assert (status, body["code"]) == (400, "invalid_release_id")
    status, item = await api.call("PATCH", f"symbol_sets/{ids[0]}/", json={"release_id": None})
    assert status == 200 and item["release"] is None
    status, body = await api.call("PATCH", f"symbol_sets/{ids[0]}/", data=b"[1,2]",
                                  headers={"Content-Type": "application/json"})
    assert (status, body["code"]) == (400, "invalid_input")


async def test_delete_removes_blob_and_index(matrix_api):
    api = matrix_api
    [set_id] = await make_sets(api, 1)
    _, item = await api.call("GET", f"symbol_sets/{set_id}/")
    ptr = item["storage_ptr"]
    await api.store.put_bytes(f"{ptr}.index", b"index")
    status, body = await api.call("DELETE", f"symbol_sets/{set_id}/")
    assert (status, body) == (204, None)
    assert await api.store.head(ptr) is None and await api.store.head(f"{ptr}.index") is None
    assert (await api.call("GET", f"symbol_sets/{set_id}/"))[0] == 404
    assert (await api.call("DELETE", f"symbol_sets/{set_id}/"))[0] == 404


async def test_bulk_delete(api):
    ids = await make_sets(api, 3)
    ptrs = [(await api.call("GET", f"symbol_sets/{i}/"))[1]["storage_ptr"] for i in ids]
    await api.store.put_bytes(f"{ptrs[0]}.index", b"index")
    status, body = await api.call("POST", "symbol_sets/bulk_delete/",
                                  json={"ids": ids[:2] + ["8b3c2a1e-1111-4a4a-9a9a-0123456789ab"]})
    assert (status, body) == (200, {"deleted": 2})
    assert [await api.store.head(p) is None for p in ptrs] == [True, True, False]
    assert await api.store.head(f"{ptrs[0]}.index") is None
    for bad in ({"ids": []}, {"ids": "x"}, {"ids": ["not-a-uuid"]}, {}):
        status, body = await api.call("POST", "symbol_sets/bulk_delete/", json=bad)
        assert status == 400, bad
    status, body = await api.call("POST", "symbol_sets/bulk_delete/", json={"ids": [ids[2]] * 1001})
    assert (status, body["code"]) == (400, "too_many_symbol_sets")


async def test_download_of_pending_set_is_404(api):
    _, body = await api.call("POST", "symbol_sets/bulk_start_upload/", json={"symbol_sets": [{"chunk_id": "p"}]})
    set_id = body["id_map"]["p"]["symbol_set_id"]
    status, body = await api.call("GET", f"symbol_sets/{set_id}/download/")
    assert status == 404


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "x" * 5000])
async def test_download_tokens_are_checked(api, token):
    async with api.client.get("/downloads/", params={"token": token}) as resp:
        assert resp.status == 404 and (await resp.json())["code"] == "not_found"
