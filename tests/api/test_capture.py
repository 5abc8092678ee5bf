"""The capture routes over a real server: every body and compression form SDKs send,
every route, beacon, CORS and metrics. Errors, idempotency and projects:
test_capture_errors.py."""

from __future__ import annotations

import base64
import gzip
import json
from urllib.parse import urlencode

import pytest

from tests.support.capture import exception_event
from tests.support.npm import npm_package, run_node

ROUTES = ["/i/v0/e/", "/e/", "/batch/", "/capture/", "/track/"]


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _forms(token: str, events: list[dict]) -> dict[str, tuple[str, dict]]:
    """name -> (path, request kwargs) for every body form, each carrying ``events``."""
    with_token = [{**e, "properties": {**e["properties"], "token": token}} for e in events]
    array = json.dumps(with_token).encode()
    return {
        "array": ("/e/", {"data": array, "headers": {"Content-Type": "application/json"}}),
        "batch_api_key": ("/batch/", {"data": json.dumps({"api_key": token, "batch": events})}),
        "batch_token": ("/batch", {"data": json.dumps({"token": token, "batch": events,
                                                      "sent_at": "2026-01-01T00:00:00Z"})}),
        "gzip_by_query": ("/i/v0/e/", {"data": gzip.compress(array),
                                       "params": {"compression": "gzip-js"}}),
        "gzip_by_magic": ("/batch/", {"data": gzip.compress(json.dumps(
            {"api_key": token, "batch": events}).encode())}),
        "content_encoding_gzip": ("/batch/", {"data": gzip.compress(json.dumps(
            {"api_key": token, "batch": events}).encode()), "headers": {"Content-Encoding": "gzip"}}),
        "base64_by_query": ("/e/", {"data": _b64(array), "params": {"compression": "base64"}}),
        "form_data": ("/e/", {"data": urlencode({"data": _b64(array).decode()}),
                              "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
        "form_gzip_base64": ("/i/v0/e/", {"data": urlencode({
            "data": _b64(gzip.compress(array)).decode(), "compression": "base64"}),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
        "legacy_double_base64": ("/capture/", {"data": _b64(_b64(array)),
                                               "params": {"compression": "base64"}}),
        "legacy_base64_no_query": ("/track", {"data": _b64(array)}),
        "get_data": ("/e/", {"method": "GET", "params": {"data": _b64(array).decode()}}),
    }


FORMS = list(_forms("phc_x", [exception_event()]))


@pytest.mark.parametrize("form", FORMS)
async def test_every_body_form_queues_the_events(capture, form):
    events = [exception_event("u1"), exception_event("u2", plan="pro")]
    path, kwargs = _forms(capture.token, events)[form]
    status, body, _ = await capture.send(path, **kwargs)
    assert (status, body) == (200, {"status": "Ok"})
    queued = await capture.queued()
    assert [(p, u) for p, u, _ in queued] == [(capture.api.project_id, e["uuid"]) for e in events]
    first, second = (q[2] for q in queued)
    assert (first["event"], first["distinct_id"], second["distinct_id"]) == ("$exception", "u1", "u2")
    assert second["properties"]["plan"] == "pro"
    assert first["properties"]["$exception_list"] == events[0]["properties"]["$exception_list"]


_LZ = "process.stdout.write(require('lz-string').compressToBase64(require('fs').readFileSync(0, 'utf8')))"


async def test_lz_string_by_query_and_by_form_field_as_posthog_js_packs_it(capture):
    home = npm_package("lz-string", "1.5.0")
    events = [{**exception_event("lz"), "properties": {"token": capture.token, "s": "☃"}}
              for _ in range(2)]
    packed = [run_node(_LZ, home, stdin=json.dumps([e])) for e in events]
    status, body, _ = await capture.send("/e/", packed[0], params={"compression": "lz64"})
    assert (status, body) == (200, {"status": "Ok"})
    status, _, _ = await capture.send(
        "/e/", urlencode({"data": packed[1], "compression": "lz-string"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    queued = await capture.queued()
    assert [(u, e["properties"]["s"]) for _, u, e in queued] == [(e["uuid"], "☃") for e in events]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("slash", [True, False])
async def test_every_route_with_and_without_slash(capture, route, slash):
    path = route if slash else route.rstrip("/")
    event = {**exception_event(), "api_key": capture.token}
    status, body, _ = await capture.send(path, event)
    assert (status, body) == (200, {"status": "Ok"})
    assert [u for _, u, _ in await capture.queued()] == [event["uuid"]]


async def test_beacon_answers_204_with_no_body(capture):
    event = {**exception_event(), "token": capture.token}
    status, body, _ = await capture.send("/e/", [event], params={"beacon": "1"})
    assert (status, body) == (204, None)
    assert [u for _, u, _ in await capture.queued()] == [event["uuid"]]


async def test_performance_events_are_dropped_and_the_rest_kept(capture):
    kept = exception_event()
    dropped = {**exception_event(), "event": "$performance_event"}
    status, _, _ = await capture.send("/batch/", {"api_key": capture.token, "batch": [dropped, kept]})
    assert status == 200
    assert [u for _, u, _ in await capture.queued()] == [kept["uuid"]]


async def test_cors_preflight_and_origin_echo_on_capture_routes_only(capture):
    origin = "https://shop.example.com"
    status, _, headers = await capture.send("/i/v0/e/", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-custom"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == origin
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-custom"
    assert set(headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {
        "GET", "POST", "OPTIONS"}
    event = {**exception_event(), "token": capture.token}
    status, _, headers = await capture.send("/e/", [event], headers={"Origin": origin})
    assert (status, headers["Access-Control-Allow-Origin"]) == (200, origin)
    status, _, headers = await capture.send("/e/", b"{", headers={"Origin": origin})
    assert (status, headers["Access-Control-Allow-Origin"]) == (400, origin)  # readable errors
    status, _, headers = await capture.send("/healthz", method="GET", headers={"Origin": origin})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


async def test_metrics_count_batches_events_bytes_and_publish_time(capture):
    event = {**exception_event(), "token": capture.token}
    body = json.dumps([event, {**exception_event(), "token": capture.token}]).encode()
    assert (await capture.send("/e/", body))[0] == 200
    assert (await capture.send("/e/", b"junk"))[0] == 400
    refused = json.dumps([{**event, "token": "phc_nobody"}]).encode()
    assert (await capture.send("/e/", refused))[0] == 401
    async with capture.api.client.get("/metrics") as resp:
        text = await resp.text()
    lines = set(text.splitlines())
    assert 'symbols_capture_batches_total{outcome="ok"} 1.0' in lines
    assert 'symbols_capture_batches_total{outcome="invalid_payload"} 1.0' in lines
    assert 'symbols_capture_batches_total{outcome="invalid_token"} 1.0' in lines
    assert 'symbols_capture_events_total{outcome="accepted"} 2.0' in lines
    assert 'symbols_capture_events_total{outcome="refused"} 1.0' in lines
    sent = len(body) + len(b"junk") + len(refused)
    assert f"symbols_capture_bytes_total {float(sent)}" in lines
    assert 'symbols_stream_publish_duration_seconds_count{backend="database"} 1.0' in lines
