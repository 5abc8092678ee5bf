"""Resolution that fetches what nobody uploaded, for a project that allows it: the
script and its map from a local server on 127.0.0.1 (reachable only through the
test-only ``fetch_test_networks``), saved and listed as a symbol set; failures listed
with their reason and not fetched again."""

from __future__ import annotations

import pytest

from tests.support.api import resolve
from tests.support.origin import script_origin

THROW = {"platform": "web:javascript", "function": "i", "lineno": 1, "colno": 77}


@pytest.fixture
async def origin():
    async with script_origin("app") as server:
        yield server


async def allow(api, *domains: str) -> None:
    status, _ = await api.call("PATCH", "fetch_settings/", json={
        "enabled": True, "allowed_domains": list(domains), "auth_header": {"name": "X-Token", "value": "t0k"}})
    assert status == 200


async def test_fetches_the_map_saves_it_as_a_set_and_records_failures(api_factory, origin):
    api = await api_factory(fetch_test_networks=("127.0.0.1/32",))
    base = f"http://127.0.0.1:{origin.port}"
    frame = dict(THROW, filename=f"{base}/assets/app.js?v=2")
    # Not allowed yet: nothing is fetched.
    _, body = await resolve(api, {"frames": [frame]})
    assert body["frames"][0]["resolve_failure"] == "NoSourcemapUploaded" and origin.hits == []

    await allow(api, "127.0.0.1")
    missing = dict(THROW, filename=f"{base}/assets/gone.js")
    status, body = await resolve(api, {"frames": [frame, missing], "explain": True})
    assert status == 200
    found, gone = body["frames"]
    assert (found["resolved"], found["resolved_name"], found["source"], found["line"]) == (
        True, "checkedQuantity", "../../src/math.js", 9)
    assert origin.tokens == {"t0k"}  # the header, opened from its sealed form
    assert found["explain"][0] == {"step": "fetch", "found": True,
                                   "detail": f"fetched {base}/assets/app.js and its map"}
    assert gone["resolve_failure"] == "SymbolSetFailed"
    _, listed = await api.call("GET", "symbol_sets/")
    sets = {s["ref"]: s for s in listed["results"]}
    assert sets[f"{base}/assets/app.js"]["url"] == f"{base}/assets/app.js"
    assert sets[f"{base}/assets/app.js"]["failure_reason"] is None
    assert "answered HTTP 404" in sets[f"{base}/assets/gone.js"]["failure_reason"]
    assert "FetchFailed" in sets[f"{base}/assets/gone.js"]["failure_reason"]

    # Found by the saved sets now: nothing is fetched again.
    hits = len(origin.hits)
    _, again = await resolve(api, {"frames": [frame, missing]})
    assert [f["resolved"] for f in again["frames"]] == [True, False] and len(origin.hits) == hits


async def test_without_the_test_network_loopback_is_refused(api, origin):
    await allow(api, "127.0.0.1")
    frame = dict(THROW, filename=f"http://127.0.0.1:{origin.port}/assets/app.js")
    _, body = await resolve(api, {"frames": [frame]})
    assert body["frames"][0]["resolve_failure"] == "SymbolSetFailed" and origin.hits == []
    _, listed = await api.call("GET", "symbol_sets/")
    [item] = listed["results"]
    assert "127.0.0.1 is not a public address" in item["failure_reason"]
