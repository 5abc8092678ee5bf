"""Fuzzed capture bodies: decode_capture only ever answers events or a 4xx CaptureError."""

from __future__ import annotations

import base64
import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.errortracking.capture import CaptureBatch, CaptureError, decode_capture

PATHS = st.sampled_from(["/i/v0/e/", "/e/", "/e", "/batch/", "/capture/", "/track/"])
TYPES = st.sampled_from([None, "application/json", "text/plain",
                         "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; x"])
COMPRESSIONS = st.sampled_from(["", "gzip", "gzip-js", "lz64", "lz-string", "base64", "b64", "zstd"])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30)
JSON = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=30)
_keys = st.sampled_from(["event", "distinct_id", "uuid", "token", "api_key", "$token", "properties",
                         "timestamp", "offset", "batch", "sent_at", "historical_migration"])
EVENTISH = st.dictionaries(_keys, JSON | st.sampled_from(["$exception", "phc_x", "2026-01-01T00:00:00Z"]),
                           max_size=8)
BODIES = EVENTISH | st.lists(EVENTISH, max_size=4) | JSON


def _check(body: bytes, content_type, compression: str, path: str) -> None:
    query = {"compression": compression} if compression else {}
    try:
        batch = decode_capture(body, content_type, query, path)
    except CaptureError as exc:
        assert 400 <= exc.status < 500 and exc.code and exc.detail
        return
    assert isinstance(batch, CaptureBatch) and batch.token
    CaptureBatch.from_bytes(batch.to_bytes())


@SETTINGS
@given(st.binary(max_size=300), TYPES, COMPRESSIONS, PATHS)
def test_arbitrary_bytes(body, content_type, compression, path):
    _check(body, content_type, compression, path)


@SETTINGS
@given(BODIES, TYPES, COMPRESSIONS, PATHS, st.sampled_from(["raw", "gzip", "base64"]))
def test_json_junk_in_every_wrapping(value, content_type, compression, path, wrap):
    try:
        body = json.dumps(value).encode()
    except ValueError:
        return
    if wrap == "gzip":
        body = gzip.compress(body)
    elif wrap == "base64":
        body = base64.b64encode(body)
    _check(body, content_type, compression, path)
