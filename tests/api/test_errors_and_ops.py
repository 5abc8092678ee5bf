import io
import json
import logging

import aiohttp
import pytest

from symbols.api import CONTEXT
from symbols.logging import JsonFormatter
from symbols.storage import LocalBlobStore, open_blob_store
from tests.support.api import BLOBS


async def raw(api, method, path, **kwargs):
    async with api.client.request(method, path, **kwargs) as resp:
        return resp.status, resp.headers, await resp.json(content_type=None)


async def test_unknown_routes_and_methods_are_json(api):
    status, _, body = await raw(api, "GET", "/nope")
    assert (status, body["type"], body["code"]) == (404, "invalid_request", "not_found")
    status, headers, body = await raw(api, "DELETE", api.path("symbol_sets/"),
                                      headers={"Authorization": f"Bearer {api.secret}"})
    assert (status, body["code"]) == (405, "method_not_allowed")
    assert "GET" in headers["Allow"]
    assert set(body) == {"type", "code", "detail", "attr"}


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe", b'{"a": 1', b"[]", b'"x"', b"1e999999"])
async def test_malformed_json_is_400(api, payload):
    status, body = await api.call("POST", "symbol_sets/bulk_start_upload/", data=payload,
                                  headers={"Content-Type": "application/json"})
    assert status == 400 and body["code"] in ("parse_error", "invalid_input")


async def test_oversized_json_body_is_413(api):
    status, body = await api.call("POST", "symbol_sets/bulk_delete/", data=io.BytesIO(b"[" + b" " * (5 * 1024 * 1024) + b"]"),
                                  headers={"Content-Type": "application/json"})
    assert (status, body["code"]) == (413, "request_too_large")


@pytest.mark.parametrize("kind", ["local", "s3"])
async def test_blob_store_down_is_503_and_no_row(api_factory, tmp_path, kind):
    api = await api_factory()
    if kind == "local":
        blocker = tmp_path / "not-a-directory"
        blocker.write_bytes(b"")
        broken = LocalBlobStore(blocker / "blobs")
    else:  # an S3 endpoint where nothing listens
        broken = open_blob_store(api.settings.with_overrides(
            storage_url="s3://bucket/p", s3_endpoint_url="http://127.0.0.1:9", s3_region="us-east-1"))
    await api.store.close()
    api.store = broken
    api.client.app[CONTEXT].store = broken
    status, body = await api.upload("a", BLOBS["raw_json"])
    assert (status, body["type"], body["code"]) == (503, "server_error", "storage_unavailable")
    _, listing = await api.call("GET", "symbol_sets/")
    assert listing["count"] == 0
    assert await api.jobs() == []
    status, _, body = await raw(api, "GET", "/readyz")
    assert (status, body["checks"]) == (503, {"database": "ok", "blob_store": "unavailable"})


async def test_health_ready_and_metrics(api):
    status, _, body = await raw(api, "GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})
    status, _, body = await raw(api, "GET", "/readyz")
    assert (status, body) == (200, {"status": "ok", "checks": {"database": "ok", "blob_store": "ok"}})
    await api.upload("a", BLOBS["raw_json"])
    await api.call("GET", "symbol_sets/", key="wrong")
    async with api.client.get("/metrics") as resp:
        text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/plain"
    route = "/api/projects/{project_id}/error_tracking/symbol_sets"
    assert f'symbols_http_requests_total{{method="POST",route="{route}",status="201"}} 1.0' in text
    assert f'symbols_http_requests_total{{method="GET",route="{route}",status="401"}} 1.0' in text
    assert f'symbols_upload_bytes_total{{path="direct"}} {float(len(BLOBS["raw_json"]))}' in text
    assert "symbols_http_request_duration_seconds_bucket" in text


async def test_request_log_is_one_json_object_per_line(api, caplog):
    with caplog.at_level(logging.INFO, logger="symbols.access"):
        await api.call("GET", "symbol_sets/")
    [record] = [r for r in caplog.records if r.name == "symbols.access"]
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["msg"] == "request" and entry["status"] == 200 and entry["method"] == "GET"
    assert entry["route"] == "/api/projects/{project_id}/error_tracking/symbol_sets"
    assert "Authorization" not in line and api.secret not in line


# Found by schemathesis (tests/api/fuzz.py): both were 500s.
async def test_non_ascii_upload_policy_is_refused(api):
    form = aiohttp.FormData()
    form.add_field("key", "k")
    form.add_field("policy", "é.é")
    form.add_field("file", io.BytesIO(b"{}"), filename="f")
    async with api.client.post("/uploads/", data=form) as resp:
        assert resp.status == 403 and (await resp.json())["code"] == "invalid_policy"


async def test_unparsable_part_header_is_400(api):
    body = b'--B\r\nContent-Disposition: form-data; name="a"\r\nX-Bad: \x00\r\n\r\nv\r\n--B--\r\n'
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    async with api.client.post("/uploads/", data=body, headers=headers) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "parse_error"
    status, error = await api.call("POST", "symbol_sets/", params={"chunk_id": "a"}, data=body, headers=headers)
    assert (status, error["code"]) == (400, "parse_error")
