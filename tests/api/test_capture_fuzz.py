"""Fuzzed capture requests over HTTP: only ever 200 or a 4xx with our error body, never a 5xx."""

from __future__ import annotations

import base64
import gzip
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROUTES = st.sampled_from(["/i/v0/e/", "/e", "/batch/", "/batch", "/capture/", "/track", "/e/"])
TYPES = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded"])
QUERIES = st.dictionaries(
    st.sampled_from(["compression", "beacon", "_", "ver", "data"]),
    st.sampled_from(["gzip", "gzip-js", "lz64", "base64", "b64", "1", "0", "", "%%", "1700000000000",
                     "eyJ9", "99999999999999999999"]),
    max_size=3,
)
SETTINGS = settings(
    max_examples=120, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
            | st.text(max_size=20))
JSON = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
_keys = st.sampled_from(["event", "distinct_id", "uuid", "token", "api_key", "$token", "properties",
                         "timestamp", "offset", "batch", "sent_at"])
_values = JSON | st.sampled_from(["$exception", "TOKEN", "2026-01-01T00:00:00Z", str(uuid.uuid4())])
EVENTISH = st.dictionaries(_keys, _values, max_size=8)


async def _check(capture, method, path, body, content_type, query) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    status, answer, _ = await capture.send(path, body, method=method, params=query, headers=headers)
    assert status in (200, 204) or 400 <= status < 500, (status, answer)
    if status >= 400:
        assert set(answer) == {"type", "code", "detail", "attr"} and answer["code"]


@SETTINGS
@given(st.binary(max_size=400), ROUTES, TYPES, QUERIES, st.sampled_from(["POST", "GET"]))
async def test_arbitrary_bytes_and_queries(capture, body, path, content_type, query, method):
    await _check(capture, method, path, None if method == "GET" else body, content_type, query)


@SETTINGS
@given(EVENTISH | st.lists(EVENTISH, max_size=3) | JSON, ROUTES, TYPES, QUERIES,
       st.sampled_from(["raw", "gzip", "base64"]))
async def test_event_shaped_json_in_every_wrapping(capture, value, path, content_type, query, wrap):
    # The real token in some places, so bodies get past the token check too.
    body = json.dumps(value).replace('"TOKEN"', json.dumps(capture.token)).encode()
    if wrap == "gzip":
        body = gzip.compress(body)
    elif wrap == "base64":
        body = base64.b64encode(body)
    await _check(capture, "POST", path, body, content_type, query)


_maybe = st.none() | _values
NEAR_VALID = st.fixed_dictionaries(
    {"event": st.sampled_from(["$exception", "$pageview", "$performance_event"]) | _maybe,
     "distinct_id": st.text(min_size=1, max_size=300) | _maybe},
    optional={"uuid": st.just(None).map(lambda _: str(uuid.uuid4())) | _maybe,
              "properties": st.dictionaries(st.text(max_size=8), JSON, max_size=4) | _maybe,
              "timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00",
                                            "0001-01-01T00:00:00-12:00", "yesterday"]) | _maybe,
              "offset": st.integers(-(2**65), 2**65) | _maybe},
)


@SETTINGS
@given(st.lists(NEAR_VALID, min_size=1, max_size=4), ROUTES, st.booleans(), st.sampled_from(["", "x"]))
async def test_near_valid_events_get_past_the_token_check(capture, events, path, batch, sent_at):
    events = [{**e, "token": capture.token} for e in events]
    body = {"api_key": capture.token, "batch": events, "sent_at": sent_at} if batch else events
    await _check(capture, "POST", path, json.dumps(body).encode(), None, {})
