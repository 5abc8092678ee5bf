"""Finding a frame's symbol set by the URL its script was uploaded for (``url`` of
bulk_start_upload, from ``--url-prefix``): ``~`` matches any scheme and host, the
release decides between builds served at one URL, late uploads wake waiting events."""

from __future__ import annotations

import hashlib

from symbols.db.events import await_symbols, enqueue_waiting_events
from symbols.symbol_sets.container import pack
from tests.fixtures.s3 import post_presigned
from tests.support.api import process_jobs, resolve
from tests.support.bundles import APP_JS, APP_MAP

DATA = pack(APP_MAP, APP_JS)
# Where Node reports the throw in checkedQuantity for this bundle (1-based).
THROW = {"platform": "web:javascript", "function": "i", "lineno": 1, "colno": 77}


async def upload(api, chunk_id: str, url: str | None, release_id: str | None = None, data: bytes = DATA) -> str:
    entry = {"chunk_id": chunk_id, "content_hash": hashlib.sha512(data).hexdigest(), "url": url,
             "release_id": release_id}
    status, body = await api.call("POST", "symbol_sets/bulk_start_upload/", json={"symbol_sets": [entry]})
    assert status == 201, body
    if chunk_id in body["id_map"]:
        target = body["id_map"][chunk_id]
        await post_presigned(target["presigned_url"]["url"], target["presigned_url"]["fields"], data)
        set_id = target["symbol_set_id"]
        status, _ = await api.call("POST", "symbol_sets/bulk_finish_upload/",
                                   json={"content_hashes": {set_id: entry["content_hash"]}})
        assert status == 201
        return set_id
    return ""


async def release(api, version: str) -> str:
    status, body = await api.call("POST", "releases/", json={"project": "shop", "version": version})
    assert status in (200, 201), body
    return body["id"]


async def test_tilde_url_matches_any_host_and_is_listed(api):
    set_id = await upload(api, "chunk-a", "~/assets/app.js")
    await process_jobs(api)
    _, item = await api.call("GET", f"symbol_sets/{set_id}/")
    assert item["url"] == "~/assets/app.js"
    status, body = await resolve(api, {"explain": True, "frames": [
        dict(THROW, filename="https://shop.example.com/assets/app.js?v=9:1:77"),
        dict(THROW, filename="http://localhost:8080/assets/app.js#x"),
        dict(THROW, filename="https://shop.example.com/other/app.js"),
    ]})
    assert status == 200
    out = body["frames"]
    assert [(f["resolved"], f["resolved_name"], f["source"], f["line"]) for f in out[:2]] == [
        (True, "checkedQuantity", "../../src/math.js", 9)] * 2
    assert out[0]["explain"][2] == {"step": "url_lookup", "found": True, "detail":
                                    f"symbol set {set_id} (chunk-a) was uploaded for URL '~/assets/app.js'"}
    assert out[2]["resolve_failure"] == "NoSourcemapUploaded"
    assert "--url-prefix" in out[2]["explain"][2]["detail"]


async def test_full_url_matches_only_its_host_and_bad_urls_are_refused(api):
    await upload(api, "chunk-b", "https://cdn.example.com/app.js")
    await process_jobs(api)
    _, body = await resolve(api, {"frames": [dict(THROW, filename="https://cdn.example.com/app.js"),
                                             dict(THROW, filename="https://evil.example.com/app.js")]})
    assert [f["resolved"] for f in body["frames"]] == [True, False]
    for bad in ("app.js", "~/a.js?v=1", "https://x/a.js#f", "x" * 1001):
        status, body = await api.call("POST", "symbol_sets/bulk_start_upload/",
                                      json={"symbol_sets": [{"chunk_id": "c", "url": bad}]})
        assert (status, body["code"], body["attr"]) == (400, "invalid_url", body["attr"]), bad


async def test_the_release_decides_between_builds_served_at_one_url(api):
    old, new = await release(api, "1.0"), await release(api, "2.0")
    old_set = await upload(api, "chunk-old", "~/app.js", old)
    other = pack(APP_MAP.replace(b"src/math.js", b"src/math2.js"), APP_JS)
    await upload(api, "chunk-new", "~/app.js", new, data=other)
    await process_jobs(api)
    frame = dict(THROW, filename="https://x.example.com/app.js")
    _, newest = await resolve(api, {"frames": [frame]})
    _, chosen = await resolve(api, {"frames": [frame], "release_id": old})
    assert newest["frames"][0]["source"] == "../../src/math2.js"
    assert chosen["frames"][0]["source"] == "../../src/math.js"
    # Uploading again with another prefix moves the set's URL.
    await upload(api, "chunk-old", "~/static/app.js", old)
    _, item = await api.call("GET", f"symbol_sets/{old_set}/")
    assert item["url"] == "~/static/app.js"


async def test_a_set_uploaded_for_a_url_wakes_the_events_waiting_for_it(api):
    set_id = await upload(api, "chunk-late", "~/assets/app.js")
    async with api.db.begin() as conn:
        await await_symbols(conn, api.project_id, {
            "e1": {"https://a.example.com/assets/app.js"}, "e2": {"https://b.example.com/x/assets/app.js"},
            "e3": {"chunk-late"}, "e4": {"https://a.example.com/assets/app.jsx"}})
        jobs = await enqueue_waiting_events(conn, set_id)
    assert len(jobs) == 2
    payloads = sorted(j.payload for j in await api.jobs() if j.id in jobs)
    assert payloads == ['{"ref":"chunk-late"}', '{"ref":"https://a.example.com/assets/app.js"}']
