"""decode_capture: every body form of PostHog's capture, its token/distinct_id/uuid/timestamp
rules, its errors and limits."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from symbols.errortracking import capture
from symbols.errortracking.capture import CaptureBatch, CapturedEvent, CaptureError, decode_capture

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TOKEN = "phc_test"
U1 = "0190f6a4-1b2c-7d3e-8f40-123456789abc"


def ev(**extra) -> dict:
    return {"event": "$exception", "distinct_id": "u1", "uuid": U1, "properties": {}, **extra}


def decode(body, *, query=None, path="/i/v0/e/", content_type="application/json"):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return decode_capture(body, content_type, query or {}, path, now=NOW)


def refused(body, status, code, **kw) -> CaptureError:
    with pytest.raises(CaptureError) as info:
        decode(body, **kw)
    assert (info.value.status, info.value.code) == (status, code), info.value.detail
    return info.value


# ------------------------------------------------------------------ body shapes and tokens


def test_array_of_events_token_in_properties():
    batch = decode([ev(properties={"token": TOKEN, "a": 1}), ev(uuid=str(uuid.uuid4()), properties={"token": TOKEN})])
    assert batch.token == TOKEN
    assert [e.event for e in batch.events] == ["$exception", "$exception"]
    assert batch.events[0].properties == {"token": TOKEN, "a": 1}
    assert batch.events[0].uuid == U1


def test_batch_form_with_api_key_and_token_and_historical_flag():
    batch = decode({"api_key": TOKEN, "batch": [ev()], "historical_migration": True})
    assert (batch.token, batch.historical_migration, len(batch.events)) == (TOKEN, True, 1)
    assert decode({"token": TOKEN, "batch": [ev()]}).token == TOKEN


@pytest.mark.parametrize("key", ["token", "api_key", "$token"])
def test_single_event_token_aliases(key):
    batch = decode(ev(**{key: TOKEN}))
    assert batch.token == TOKEN
    assert batch.events[0].distinct_id == "u1"


def test_no_token_and_mixed_tokens_are_401():
    refused([ev()], 401, "no_token")
    refused([ev(token="phc_a"), ev(token="phc_b")], 401, "multiple_tokens")
    refused([ev(token="phc_a"), ev()], 401, "multiple_tokens")
    refused(ev(token="x" * 201), 401, "invalid_token")


def test_empty_batch_and_not_json_and_wrong_shapes_are_400():
    refused([], 400, "empty_batch")
    refused({"api_key": TOKEN, "batch": []}, 400, "empty_batch")
    refused(b"{not json", 400, "invalid_payload")
    refused(b"42", 400, "invalid_payload")
    refused([ev(token=TOKEN), 3], 400, "invalid_payload")
    refused(ev(token=TOKEN, properties=[1]), 400, "invalid_payload")
    refused(ev(token=TOKEN, event=""), 400, "missing_event_name")


# ------------------------------------------------------------------ distinct_id, uuid, drops


def test_distinct_id_from_properties_stringified_and_cut():
    assert decode(ev(token=TOKEN, distinct_id=None, properties={"distinct_id": "p1"})).events[0].distinct_id == "p1"
    assert decode(ev(token=TOKEN, distinct_id=12345)).events[0].distinct_id == "12345"
    assert decode(ev(token=TOKEN, distinct_id={"a": [1]})).events[0].distinct_id == '{"a":[1]}'
    assert decode(ev(token=TOKEN, distinct_id="x" * 500)).events[0].distinct_id == "x" * 200
    refused(ev(token=TOKEN, distinct_id=None), 400, "missing_distinct_id")
    refused(ev(token=TOKEN, distinct_id=""), 400, "empty_distinct_id")


def test_uuid_kept_normalised_or_made_v7_and_invalid_refused():
    upper = U1.upper()
    got = decode(ev(token=TOKEN, uuid=upper)).events[0]
    assert (got.uuid, got.uuid_generated) == (U1, False)
    made = decode({"event": "e", "distinct_id": "d", "token": TOKEN}).events[0]
    assert made.uuid_generated is True and uuid.UUID(made.uuid).version == 7
    refused(ev(token=TOKEN, uuid="not-a-uuid"), 400, "invalid_uuid")
    refused(ev(token=TOKEN, uuid=12), 400, "invalid_uuid")


def test_performance_events_are_dropped():
    batch = decode([ev(token=TOKEN, event="$performance_event"), ev(token=TOKEN)])
    assert [e.event for e in batch.events] == ["$exception"]


# ------------------------------------------------------------------ timestamps


def test_timestamp_rules():
    def stamp(query=None, **fields):
        return decode(ev(token=TOKEN, **fields), query=query).events[0].timestamp

    assert stamp() == NOW
    assert stamp(offset=1500) == NOW - timedelta(milliseconds=1500)
    assert stamp(timestamp="2026-03-01T11:00:00Z") == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert stamp(timestamp="2026-03-01T11:00:00") == datetime(2026, 3, 1, 11, tzinfo=UTC)
    # client clock 2 h ahead: its event 10 min before sending happened 10 min before now
    body = {"api_key": TOKEN, "sent_at": "2026-03-01T14:00:00+00:00",
            "batch": [ev(timestamp="2026-03-01T13:50:00Z")]}
    assert decode(body).events[0].timestamp == NOW - timedelta(minutes=10)
    sent_ms = int(datetime(2026, 3, 1, 14, tzinfo=UTC).timestamp() * 1000)
    assert stamp({"_": str(sent_ms)}, timestamp="2026-03-01T13:50:00Z") == NOW - timedelta(minutes=10)
    ignored = {"$ignore_sent_at": True}
    assert stamp({"_": str(sent_ms)}, timestamp="2026-03-01T13:50:00Z", properties=ignored) == datetime(
        2026, 3, 1, 13, 50, tzinfo=UTC)
    assert stamp(timestamp="2026-03-03T12:00:00Z") == NOW  # > 23 h ahead
    assert stamp(timestamp="yesterday") == NOW
    assert stamp(timestamp="9999-12-31T23:59:59+00:00", query={"_": "0"}) == NOW


# ------------------------------------------------------------------ compression forms


def test_gzip_by_query_and_by_magic_bytes():
    raw = json.dumps([ev(token=TOKEN)]).encode()
    for query in ({"compression": "gzip"}, {"compression": "gzip-js"}, {}):
        assert decode(gzip.compress(raw), query=query, content_type="text/plain").events[0].uuid == U1
    refused(gzip.compress(raw)[:-12], 400, "invalid_payload")
    refused(b"plain", 400, "invalid_payload", query={"compression": "gzip"})


def test_gzip_bomb_is_413_without_expanding():
    bomb = gzip.compress(b" " * (capture.MAX_DECODED_BYTES + 1024), compresslevel=9)
    assert len(bomb) < 200_000
    refused(bomb, 413, "payload_too_large")


def test_base64_compression_and_legacy_double_base64():
    raw = json.dumps(ev(token=TOKEN)).encode()
    assert decode(base64.b64encode(raw), query={"compression": "b64"}).events[0].uuid == U1
    assert decode(base64.b64encode(raw), query={"compression": "base64"}).events[0].uuid == U1
    assert decode(base64.b64encode(raw), path="/e/").token == TOKEN
    assert decode(base64.b64encode(raw), path="/capture").token == TOKEN
    refused(base64.b64encode(raw), 400, "invalid_payload", path="/batch/")
    refused(b"!!!!", 400, "invalid_payload", query={"compression": "base64"})


def test_form_bodies():
    raw = json.dumps([ev(token=TOKEN)]).encode()
    form = "application/x-www-form-urlencoded"
    body = urlencode({"data": base64.b64encode(raw).decode()}).encode()
    assert decode(body, content_type=form, path="/batch/").events[0].uuid == U1
    body = urlencode({"data": raw.decode()}).encode()
    assert decode(body, content_type=form + "; charset=utf-8").token == TOKEN
    refused(b"other=1", 400, "invalid_payload", content_type=form)
    refused(b"\xff\xfe", 400, "invalid_payload", content_type=form)


# ------------------------------------------------------------------ limits


def test_size_and_count_limits(monkeypatch):
    refused(b" " * (capture.MAX_BODY_BYTES + 1), 413, "payload_too_large")
    refused(ev(token=TOKEN, properties={"big": "x" * capture.MAX_EVENT_BYTES}), 413, "event_too_big")
    monkeypatch.setattr(capture, "MAX_EVENTS", 3)
    refused([ev(token=TOKEN)] * 4, 413, "payload_too_large")
    assert len(decode([ev(token=TOKEN)] * 3).events) == 3


# ------------------------------------------------------------------ stream form


def test_round_trip_through_bytes():
    batch = decode([ev(token=TOKEN, properties={"a": [1, {"b": None}]}, timestamp="2026-03-01T11:00:00Z")])
    again = CaptureBatch.from_bytes(batch.to_bytes())
    assert again == batch
    one = batch.events[0]
    assert CapturedEvent.from_bytes(one.to_bytes()) == one
    assert one.received_at == NOW and one.timestamp.tzinfo is not None
