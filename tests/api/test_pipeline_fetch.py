"""The pipeline never fetches inline: a script on a slow origin (a local server on 127.0.0.1
that answers only when the test lets it, reachable through the test-only
``fetch_test_networks``) does not hold the batch: the other events of the batch are stored
resolved while that origin still has not answered; the frames of its script wait for a
background ``fetch_script`` job, and once the origin answers, the fetched set wakes them
(a fetch that fails gives its frames ``SymbolSetFailed``; frames naming a chunk id that
nobody uploaded are woken by the set fetched for their URL too). The job holds a worker slot
while it waits (at most the fetch's time cap), never the pipeline. A real service with its
embedded worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from symbols.db.tables import events, frames_awaiting_symbols, jobs
from symbols.symbol_sets.container import pack
from tests.support.bundles import APP_JS, APP_MAP
from tests.support.origin import script_origin
from tests.support.pipeline import app_exception

WAIT_SECONDS = 60  # how long to wait for the embedded worker; no assertion on time
NAMES = ["main", "orderTotal", "lineTotal", "checkedQuantity"]  # the bundle's frames, outermost first


@pytest.fixture
async def slow_origin():
    """Serves the fixture bundle as /assets/slow.js, answering once ``gate`` is set."""
    gate = asyncio.Event()
    async with script_origin("slow", gate) as server:
        server.gate = gate
        yield server


def exception_event(token: str, exception: dict) -> dict:
    return {"event": "$exception", "uuid": str(uuid.uuid4()), "distinct_id": "u1", "api_key": token,
            "properties": {"$exception_list": [exception]}}


async def wait_for(db, query, done) -> list:
    """The rows of ``query`` once ``done(rows)`` holds (the worker runs apart)."""
    for _ in range(WAIT_SECONDS * 20):
        async with db.connect() as conn:
            rows = (await conn.execute(query)).all()
        if done(rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"not done after {WAIT_SECONDS} s: {rows}")


def frames(row) -> list[dict]:
    return row.properties["$exception_list"][0]["stacktrace"]["frames"]


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_a_slow_origin_does_not_hold_the_batch(capture_factory, slow_origin, db_kind):
    service = await capture_factory(db_kind, worker=True, job_poll_seconds=0.1,
                                    fetch_test_networks=("127.0.0.1/32",))
    api, base = service.api, f"http://127.0.0.1:{slow_origin.port}/assets"
    status, _ = await api.call("PATCH", "fetch_settings/", json={"enabled": True, "allowed_domains": ["127.0.0.1"]})
    assert status == 200
    status, _ = await api.upload("chunk-app", pack(APP_MAP, APP_JS))
    assert status == 201

    slow = exception_event(service.token, app_exception(chunk_id=None, url=f"{base}/slow.js"))
    gone = exception_event(service.token, app_exception(chunk_id=None, url=f"{base}/gone.js"))
    ready = exception_event(service.token, app_exception(chunk_id="chunk-app"))
    status, _, _ = await service.send("/batch/", {"api_key": service.token, "batch": [slow, gone, ready]})
    assert status == 200

    rows = await wait_for(api.db, select(events), lambda rows: len(rows) == 3)
    stored = {r.uuid: r for r in rows}
    # Stored while the slow origin has not answered: the batch did not wait for it.
    assert not slow_origin.gate.is_set()
    assert [(f["resolved_name"], f["resolved"]) for f in frames(stored[ready["uuid"]])] == [
        (name, True) for name in NAMES]
    assert {(f["resolve_failure"], f["symbol_set_ref"]) for f in frames(stored[slow["uuid"]])} == {
        ("NoSourcemapUploaded", f"{base}/slow.js")}
    async with api.db.connect() as conn:
        queued = (await conn.execute(select(jobs.c.payload).where(jobs.c.kind == "fetch_script"))).all()
    assert sorted(r.payload for r in queued) == [f'{{"url":"{base}/gone.js"}}', f'{{"url":"{base}/slow.js"}}']


    # Once the origin answers, the fetched set wakes the waiting event; the 404 is
    # recorded as the URL's failed set and its event gets that failure.
    slow_origin.gate.set()
    [row] = await wait_for(api.db, select(events).where(events.c.uuid == slow["uuid"]),
                           lambda rows: frames(rows[0])[0]["resolved"])
    assert [(f["resolved_name"], f["resolved"]) for f in frames(row)] == [(name, True) for name in NAMES]
    assert row.issue_id == stored[slow["uuid"]].issue_id
    [failed] = await wait_for(api.db, select(events).where(events.c.uuid == gone["uuid"]),
                              lambda rows: frames(rows[0])[0]["resolve_failure"] != "NoSourcemapUploaded")
    assert {f["resolve_failure"] for f in frames(failed)} == {"SymbolSetFailed"}
    async with api.db.connect() as conn:
        assert (await conn.execute(select(frames_awaiting_symbols))).all() == []
    _, listed = await api.call("GET", "symbol_sets/")
    sets = {s["ref"]: s["failure_reason"] for s in listed["results"]}
    assert sets[f"{base}/slow.js"] is None and "answered HTTP 404" in sets[f"{base}/gone.js"]


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_frames_naming_a_chunk_id_nobody_uploaded_resolve_by_the_fetched_script(capture_factory, db_kind):
    service = await capture_factory(db_kind, worker=True, job_poll_seconds=0.1,
                                    fetch_test_networks=("127.0.0.1/32",))
    api = service.api
    status, _ = await api.call("PATCH", "fetch_settings/", json={"enabled": True, "allowed_domains": ["127.0.0.1"]})
    assert status == 200
    async with script_origin("app") as origin:
        url = f"http://127.0.0.1:{origin.port}/assets/app.js"
        event = exception_event(service.token, app_exception(chunk_id="chunk-not-uploaded", url=url))
        status, _, _ = await service.send("/batch/", {"api_key": service.token, "batch": [event]})
        assert status == 200
        [row] = await wait_for(api.db, select(events).where(events.c.uuid == event["uuid"]),
                               lambda rows: rows and frames(rows[0])[0]["resolved"])
    assert [(f["resolved_name"], f["resolved"]) for f in frames(row)] == [(name, True) for name in NAMES]
    _, listed = await api.call("GET", "symbol_sets/")
    assert {s["ref"]: s["has_uploaded_file"] for s in listed["results"]} == {url: True, "chunk-not-uploaded": False}
