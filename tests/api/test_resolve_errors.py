"""Resolution faults: typed per-frame failures, explain, validation and limits,
broken uploads, on-demand index builds, cross-project isolation, the index cache."""

from __future__ import annotations

import io
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import update

from symbols.api import CONTEXT
from symbols.db.tables import symbol_sets
from symbols.db.types import utcnow
from symbols.resolve import IndexCache, LoadedIndex
from symbols.symbol_sets.blobs import index_key
from symbols.symbol_sets.container import MAGIC, pack
from tests.support.api import process_jobs, resolve
from tests.support.bundles import APP_JS, APP_MAP

# Where Node reports the throw in checkedQuantity for this bundle (1-based).
THROW = {"filename": "https://cdn.example.com/app.js", "function": "i", "lineno": 1, "colno": 77}


def frame(**changes) -> dict:
    return {"platform": "web:javascript", **THROW, **changes}


async def test_unresolvable_frames_come_back_unchanged_with_typed_failures(api):
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    frames = [
        frame(chunk_id="app"),                                   # resolves
        frame(chunk_id="nope"),                                  # no such set
        {"function": "f", "lineno": 1, "colno": 1},              # nothing names a set
        frame(chunk_id="app", lineno=99),                        # beyond the map
        frame(chunk_id="app", lineno=None, colno=None),          # no position
    ]
    status, body = await resolve(api, {"frames": frames})
    assert status == 200
    out = body["frames"]
    assert [f["resolved"] for f in out] == [True, False, False, False, False]
    assert [f["resolve_failure"] for f in out] == [
        None, "NoSourcemapUploaded", "NoUrlOrChunkId", "TokenNotFound", "NoLineOrColumn"
    ]
    bad = out[3]
    assert (bad["source"], bad["line"], bad["column"]) == (THROW["filename"], 99, 77)
    # Minified and not resolved: no resolved name (as cymbal), the mangled one kept.
    assert bad["resolved_name"] is None and bad["mangled_name"] == "i"
    assert out[1]["resolved_name"] is None  # a chunk id says the code is minified
    assert out[2]["resolved_name"] == "f"  # nothing says it is minified
    assert bad["context"] is None and bad["lang"] == "javascript"
    assert out[0]["raw_id"] != out[1]["raw_id"]
    # raw_id is stable across requests.
    _, again = await resolve(api, {"frames": frames})
    assert [f["raw_id"] for f in again["frames"]] == [f["raw_id"] for f in out]
    assert all("explain" not in f for f in out)


async def test_frames_that_are_not_the_users_code_need_no_map(api):
    frames = [
        {"filename": "node:internal/process/task_queues", "function": "process.processTicksAndRejections",
         "lineno": 95, "colno": 5},
        {"filename": "<anonymous>", "function": "Array.map", "lineno": 1, "colno": 1},
        {"filename": "native", "function": "JSON.parse", "lineno": 1, "colno": 1},
        {"filename": "chrome-extension://abcdef/content.js", "function": "inject", "lineno": 3, "colno": 9},
        {"filename": "moz-extension://0a1b/x.js", "function": "y", "lineno": 3, "colno": 900},
        frame(filename="https://cdn.example.com/elsewhere.js"),
    ]
    status, body = await resolve(api, {"frames": frames, "explain": True})
    assert status == 200
    out = body["frames"]
    assert [f["resolve_failure"] for f in out] == ["NoMapNeeded"] * 5 + ["NoSourcemapUploaded"]
    assert [f["resolved_name"] for f in out[:5]] == [f["function"] for f in frames[:5]]
    assert [f["in_app"] for f in out] == [False] * 5 + [True]
    assert out[0]["explain"] == [{"step": "not_user_code", "found": True,
                                  "detail": "'node:internal/process/task_queues' is not the user's code"}]


async def test_urls_match_without_query_fragment_or_position_and_debug_ids_find_sets(api):
    await api.upload("https://cdn.example.com/app.js", pack(APP_MAP, APP_JS))
    await api.upload("4f1c2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    debug_id = "4f1c2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b"
    frames = [
        frame(filename="https://cdn.example.com/app.js?v=3#top"),
        frame(filename="https://cdn.example.com/app.js:1:77"),
        frame(filename="https://other.example.com/app.js", debug_id=debug_id),
        frame(filename="https://sentry.example.com/bundle.js"),
    ]
    meta = {"images": [{"type": "sourcemap", "code_file": "https://sentry.example.com/bundle.js?x=1",
                        "debug_id": debug_id}]}
    status, body = await resolve(api, {"frames": frames, "debug_meta": meta, "explain": True})
    assert status == 200
    out = body["frames"]
    assert [(f["resolved"], f["resolved_name"], f["line"]) for f in out] == [(True, "checkedQuantity", 9)] * 4
    assert [s["step"] for s in out[2]["explain"][:2]] == ["chunk_id_lookup", "debug_id_lookup"]
    assert out[2]["explain"][1]["found"] is True


async def test_explain_says_what_each_step_found(api):
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    status, body = await resolve(api, {"explain": True, "frames": [
        frame(chunk_id="app"), frame(chunk_id="missing"), frame(chunk_id="app", colno=1, lineno=40)
    ]})
    assert status == 200
    ok, missing, beyond = body["frames"]
    steps = {s["step"]: s for s in ok["explain"]}
    assert list(steps) == ["chunk_id_lookup", "symbol_set", "index_load", "position_lookup", "function_name"]
    assert all(s["found"] for s in steps.values())
    assert "stored index" in steps["index_load"]["detail"]
    assert "src/math.js" in steps["position_lookup"]["detail"]
    assert [(s["step"], s["found"]) for s in missing["explain"]] == [
        ("chunk_id_lookup", False), ("debug_id_lookup", False), ("url_lookup", False)]
    assert "missing" in missing["explain"][0]["detail"]
    assert beyond["explain"][-1]["step"] == "position_lookup" and not beyond["explain"][-1]["found"]
    # A second request is served from memory.
    _, body = await resolve(api, {"explain": True, "frames": [frame(chunk_id="app")]})
    assert "in memory" in body["frames"][0]["explain"][2]["detail"]


async def test_url_lookup_ignores_query_and_fragment(api):
    await api.upload(THROW["filename"], pack(APP_MAP, APP_JS))
    await process_jobs(api)
    _, body = await resolve(api, {"frames": [frame(filename=THROW["filename"] + "?v=3#x")]})
    assert body["frames"][0]["resolved"]


BROKEN = {
    "not_json": (b"{not json at all", "InvalidSourceMap", "invalid_json"),
    "bad_vlq": (b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AA!A"}', "InvalidSourceMap", "invalid_vlq"),
    "truncated_container": (pack(APP_MAP, APP_JS, zstd_level=None)[:-50], "InvalidSourceAndMap", "invalid_container"),
    "zstd_garbage": (MAGIC + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\x01\x28\xb5\x2f\xfdjunk",
                     "InvalidSourceAndMap", "invalid_zstd"),
}


async def test_broken_uploads_end_with_failure_reason_and_the_service_stays_healthy(matrix_api):
    api = matrix_api
    ids = {}
    for name, (data, _, _) in BROKEN.items():
        status, body = await api.upload(name, data)
        assert status == 201, body
        ids[name] = body["symbol_set_id"]
    assert await process_jobs(api) == {"done": len(BROKEN)}
    for name, (_, kind, code) in BROKEN.items():
        _, item = await api.call("GET", f"symbol_sets/{ids[name]}/")
        [(got_kind, message)] = orjson.loads(item["failure_reason"])["JavaScript"].items()
        assert got_kind == kind and message.startswith(code + ":"), (name, message)
    _, invalid = await api.call("GET", "symbol_sets/", params={"status": "invalid"})
    assert invalid["count"] == len(BROKEN)
    status, body = await resolve(api, {"explain": True, "frames": [frame(chunk_id=name) for name in BROKEN]})
    assert status == 200
    assert {f["resolve_failure"] for f in body["frames"]} == {"SymbolSetFailed"}
    assert "invalid_vlq" in body["frames"][1]["explain"][1]["detail"]
    async with api.client.get("/healthz") as resp:
        assert resp.status == 200
    async with api.client.get("/readyz") as resp:
        assert resp.status == 200

    # Fixing the set (re-upload, new content) clears the failure.
    status, _ = await api.upload("bad_vlq", pack(APP_MAP, APP_JS))
    _, item = await api.call("GET", f"symbol_sets/{ids['bad_vlq']}/")
    assert item["failure_reason"] is None
    await process_jobs(api)
    _, body = await resolve(api, {"frames": [frame(chunk_id="bad_vlq")]})
    assert body["frames"][0]["resolved"]


async def test_index_is_built_on_demand_when_the_job_has_not_run(api):
    status, body = await api.upload("app", pack(APP_MAP, APP_JS))
    _, item = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/")
    assert await api.store.head(index_key(item["storage_ptr"])) is None
    status, out = await resolve(api, {"explain": True, "frames": [frame(chunk_id="app")]})
    assert status == 200 and out["frames"][0]["resolved"]
    assert "built from the upload now" in out["frames"][0]["explain"][2]["detail"]
    assert await api.store.head(index_key(item["storage_ptr"])) is not None  # stored for next time
    # The job still runs later, harmlessly.
    assert await process_jobs(api) == {"done": 1}


async def test_on_demand_build_of_a_broken_upload_records_the_failure(api):
    _, body = await api.upload("bad", BROKEN["bad_vlq"][0])
    status, out = await resolve(api, {"frames": [frame(chunk_id="bad")]})
    assert status == 200 and out["frames"][0]["resolve_failure"] == "InvalidSourceMap"
    _, item = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/")
    assert "InvalidSourceMap" in item["failure_reason"]


async def test_corrupt_stored_index_is_rebuilt(api):
    _, body = await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    _, item = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/")
    await api.store.put_bytes(index_key(item["storage_ptr"]), b"garbage index bytes")
    _, out = await resolve(api, {"frames": [frame(chunk_id="app")]})
    assert out["frames"][0]["resolved"]


async def test_a_key_of_another_project_cannot_use_this_projects_sets(api):
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    status, body = await resolve(api, {"frames": [frame(chunk_id="app")]}, key=other_key, project=other)
    assert status == 200 and body["frames"][0]["resolve_failure"] == "NoSourcemapUploaded"
    status, _ = await resolve(api, {"frames": [frame(chunk_id="app")]}, key=other_key)  # project 1's path
    assert status == 404
    status, body = await resolve(api, {"frames": [frame(chunk_id="app")]})
    assert body["frames"][0]["resolved"]


async def test_auth_and_scope(api):
    assert (await resolve(api, {"frames": []}, key=None))[0] == 401
    write_only = await api.new_key(scopes=["error_tracking:write"])
    assert (await resolve(api, {"frames": []}, key=write_only))[0] == 200  # write implies read
    read_only = await api.new_key(scopes=["error_tracking:read"])
    assert (await resolve(api, {"frames": []}, key=read_only))[0] == 200
    status, _ = await api.call("POST", "stack_frames/resolve", json={"frames": []})  # no trailing slash
    assert status == 200


async def test_environments_path(api):
    await api.upload("app", pack(APP_MAP, APP_JS))
    headers = {"Authorization": f"Bearer {api.secret}"}
    path = api.path("stack_frames/resolve/", base="environments")
    async with api.client.post(path, json={"frames": [frame(chunk_id="app")]}, headers=headers) as resp:
        assert resp.status == 200
        assert (await resp.json())["frames"][0]["resolved"]


@pytest.mark.parametrize(
    "body, status, code, attr",
    [
        ({}, 400, "invalid_input", "frames"),
        ({"frames": [], "exception_list": []}, 400, "invalid_input", "frames"),
        ({"frames": {}}, 400, "invalid_input", "frames"),
        ({"frames": [frame(), frame(lineno="3")]}, 400, "invalid_input", "frames.1.lineno"),
        ({"frames": [frame(colno=0)]}, 400, "invalid_input", "frames.0.colno"),
        ({"frames": [frame(lineno=True)]}, 400, "invalid_input", "frames.0.lineno"),
        ({"frames": [frame(filename=3)]}, 400, "invalid_input", "frames.0.filename"),
        ({"frames": [frame(in_app="yes")]}, 400, "invalid_input", "frames.0.in_app"),
        ({"frames": ["x"]}, 400, "invalid_input", "frames.0"),
        ({"frames": [], "context_lines": 51}, 400, "invalid_input", "context_lines"),
        ({"frames": [], "context_lines": -1}, 400, "invalid_input", "context_lines"),
        ({"frames": [], "explain": "yes"}, 400, "invalid_input", "explain"),
        ({"exception_list": [{"stacktrace": {"frames": [{"lineno": -1}]}}]}, 400, "invalid_input",
         "exception_list.0.stacktrace.frames.0.lineno"),
        ({"exception_list": ["x"]}, 400, "invalid_input", "exception_list.0"),
        ({"frames": [frame()] * 1001}, 413, "too_many_frames", "frames"),
        ({"exception_list": [{"stacktrace": {"frames": [frame()] * 600}}] * 2}, 413, "too_many_frames", "frames"),
    ],
)
async def test_validation_and_limits(api, body, status, code, attr):
    got, error = await resolve(api, body)
    assert (got, error["code"], error["attr"]) == (status, code, attr), error
    assert set(error) == {"type", "code", "detail", "attr"}


async def test_limits_at_the_edge(api):
    status, body = await resolve(api, {"frames": [frame()] * 1000, "context_lines": 50})
    assert status == 200 and len(body["frames"]) == 1000
    big = io.BytesIO(orjson.dumps({"frames": [frame(function="x" * 5_000_000)]}))
    status, body = await api.call(
        "POST", "stack_frames/resolve/", data=big, headers={"Content-Type": "application/json"}
    )
    assert status == 413 and body["code"] == "request_too_large"
    async with api.client.post(
        api.path("stack_frames/resolve/"), data=b"{not json", headers={"Authorization": f"Bearer {api.secret}"}
    ) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "parse_error"


async def test_context_lines_zero_and_in_app_from_node_modules_and_ignore_list(api):
    source_map = {
        "version": 3,
        "sources": ["src/a.js", "node_modules/lib/b.js", "vendor/c.js"],
        "sourcesContent": ["one\ntwo\nthree", "lib", "vendor"],
        "names": [],
        "mappings": "AAAA,CCAA,CCAA",
        "x_google_ignoreList": [2],
    }
    await api.upload("m", orjson.dumps(source_map))
    frames = [frame(chunk_id="m", lineno=1, colno=c, in_app=True) for c in (1, 2, 3)]
    _, body = await resolve(api, {"frames": frames, "context_lines": 0})
    out = body["frames"]
    assert [f["in_app"] for f in out] == [True, False, False]
    assert out[0]["context"] == {"before": [], "line": {"number": 1, "line": "one"}, "after": []}


async def test_last_used_is_refreshed_at_most_every_12_hours(api):
    _, body = await api.upload("app", pack(APP_MAP, APP_JS))
    set_id = body["symbol_set_id"]
    await resolve(api, {"frames": [frame(chunk_id="app")]})
    _, first = await api.call("GET", f"symbol_sets/{set_id}/")
    await resolve(api, {"frames": [frame(chunk_id="app")]})
    _, second = await api.call("GET", f"symbol_sets/{set_id}/")
    assert first["last_used"] is not None and second["last_used"] == first["last_used"]
    async with api.db.begin() as conn:
        await conn.execute(
            update(symbol_sets).where(symbol_sets.c.id == set_id).values(last_used=utcnow() - timedelta(hours=13))
        )
    # The process keeps usable sets for SET_CACHE_SECONDS: forget them so the next request
    # reads the edited row now (a write through the API does the same).
    api.client.app[CONTEXT].resolver.forget_sets(api.project_id)
    await resolve(api, {"frames": [frame(chunk_id="app")]})
    _, third = await api.call("GET", f"symbol_sets/{set_id}/")
    assert third["last_used"] > first["last_used"]


def test_index_cache_is_bounded_in_bytes():
    cache = IndexCache(100)
    for key, size in (("a", 40), ("b", 40), ("c", 40)):
        cache.put(key, LoadedIndex(source_map=None, size=size))
    assert cache.get("a") is None and cache.bytes == 80 and len(cache) == 2
    assert cache.get("b") is not None  # b is now the most recent
    cache.put("d", LoadedIndex(source_map=None, size=40))
    assert cache.get("c") is None and cache.get("b") is not None
    cache.put("huge", LoadedIndex(source_map=None, size=101))
    assert cache.get("huge") is None and cache.bytes == 80
