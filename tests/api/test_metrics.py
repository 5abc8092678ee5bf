"""/metrics of the service: jobs from the database, job runs of the worker sharing the
service's registry, index builds, and resolution (frames, loads, the index cache),
scraped from a real server over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from symbols.api import CONTEXT
from symbols.db import open_database
from symbols.db.tables import jobs
from symbols.db.types import utcnow
from symbols.workers import Deps, Worker
from tests.support.api import BLOBS

BAD_MAP = b'{"version":3,"sources":[],"names":[],"mappings":"!"}'
RUN = "symbols_job_runs_total"


async def scrape(api) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of one GET /metrics."""
    async with api.client.get("/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def run_worker(api) -> dict:
    """A burst of the worker wired like the embedded one: the app's builder and metrics."""
    app = api.client.app
    worker = Worker(
        Deps(api.db, api.store, app[CONTEXT].resolver.loader.builder), poll_seconds=0.05, metrics=app[CONTEXT].metrics
    )
    return dict(await worker.run_burst())


async def resolve(api, frames: list[dict]) -> list[dict]:
    status, body = await api.call("POST", "stack_frames/resolve/", json={"frames": frames})
    assert status == 200, body
    return body["frames"]


def frame(**kw) -> dict:
    return {"platform": "web:javascript", "filename": "https://x.example/app.js", "lineno": 1, "colno": 10} | kw


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_jobs_worker_runs_and_resolution_are_counted(api_factory, db_kind):
    api = await api_factory(db_kind)
    uploads = {"a": BLOBS["raw_json"], "b": BLOBS["container_v2_zstd"], "bad": BAD_MAP}
    for chunk_id, data in uploads.items():
        assert (await api.upload(chunk_id, data))[0] == 201

    before = await scrape(api)
    assert value(before, "symbols_jobs", state="queued") == 3
    assert value(before, "symbols_jobs", state="done") == 0
    assert value(before, "symbols_jobs_oldest_due_age_seconds") >= 0
    assert value(before, RUN, kind="process_symbol_set", outcome="done") is None

    assert await run_worker(api) == {"done": 3}
    after = await scrape(api)
    assert value(after, "symbols_jobs", state="done") == len(uploads)
    assert value(after, "symbols_jobs", state="queued") == 0
    assert value(after, "symbols_jobs", state="dead") == 0
    assert value(after, "symbols_jobs_oldest_due_age_seconds") == 0
    assert value(after, RUN, kind="process_symbol_set", outcome="done") == 2
    assert value(after, RUN, kind="process_symbol_set", outcome="failed_input") == 1
    assert value(after, "symbols_job_run_duration_seconds_count", kind="process_symbol_set") == 3
    assert value(after, "symbols_index_builds_total", outcome="ok") == 2
    assert value(after, "symbols_index_builds_total", outcome="failed_input") == 1
    assert value(after, "symbols_index_build_duration_seconds_count") == 3

    frames = [
        frame(chunk_id="a"),                 # resolved
        frame(chunk_id="b"),                 # resolved
        frame(chunk_id="a", lineno=7),       # no mapping on line 7
        frame(chunk_id="bad"),               # the set failed processing
        frame(chunk_id="nope"),              # no such set
        frame(filename=None),                # nothing to look it up by
    ]
    out = await resolve(api, frames)
    assert [f["resolve_failure"] for f in out] == [
        None, None, "TokenNotFound", "SymbolSetFailed", "NoSourcemapUploaded", "NoUrlOrChunkId",
    ]
    first = await scrape(api)
    outcomes = {"resolved": 2, "TokenNotFound": 1, "SymbolSetFailed": 1, "NoSourcemapUploaded": 1,
                "NoUrlOrChunkId": 1}
    for outcome, count in outcomes.items():
        assert value(first, "symbols_resolve_frames_total", outcome=outcome) == count, outcome
    # Two sets loaded from their stored indexes: two misses, nothing from memory yet.
    assert value(first, "symbols_index_loads_total", source="stored") == 2
    assert value(first, "symbols_index_loads_total", source="memory") is None
    assert value(first, "symbols_index_load_duration_seconds_count", source="stored") == 2
    assert value(first, "symbols_index_cache_misses_total") == 2
    assert value(first, "symbols_index_cache_hits_total") == 0
    assert value(first, "symbols_index_cache_entries") == 2
    cache = api.client.app[CONTEXT].resolver.loader.cache
    assert value(first, "symbols_index_cache_bytes") == cache.bytes > 0
    assert value(first, "symbols_index_cache_max_bytes") == api.settings.cache_bytes

    # The same frames again: both indexes come from memory.
    await resolve(api, frames)
    second = await scrape(api)
    assert value(second, "symbols_resolve_frames_total", outcome="resolved") == 4
    assert value(second, "symbols_index_cache_hits_total") == 2
    assert value(second, "symbols_index_cache_misses_total") == 2
    assert value(second, "symbols_index_loads_total", source="memory") == 2
    assert value(second, "symbols_index_loads_total", source="stored") == 2
    assert value(second, "symbols_index_cache_evictions_total") == 0
    # HTTP metrics are still there.
    route = "/api/projects/{project_id}/error_tracking/stack_frames/resolve"
    assert value(second, "symbols_http_requests_total", route=route, method="POST", status="200") == 2


async def test_an_index_not_built_yet_is_counted_as_built_on_demand(api):
    await api.upload("a", BLOBS["raw_json"])
    [out] = await resolve(api, [frame(chunk_id="a")])
    assert out["resolved"]
    samples = await scrape(api)
    assert value(samples, "symbols_index_loads_total", source="built") == 1
    assert value(samples, "symbols_index_loads_total", source="stored") is None
    assert value(samples, "symbols_index_builds_total", outcome="ok") == 1
    # The job itself has not run.
    assert value(samples, "symbols_jobs", state="queued") == 1
    assert value(samples, RUN, kind="process_symbol_set", outcome="done") is None


async def test_evictions_when_the_cache_holds_one_index(api_factory):
    probe = await api_factory()
    await probe.upload("a", BLOBS["raw_json"])
    await resolve(probe, [frame(chunk_id="a")])
    one_index = probe.client.app[CONTEXT].resolver.loader.cache.bytes
    api = await api_factory(cache_bytes=one_index + one_index // 2)
    await api.upload("a", BLOBS["raw_json"])
    await api.upload("b", BLOBS["gzip"])
    await run_worker(api)
    for chunk_id in ("a", "b", "a"):
        await resolve(api, [frame(chunk_id=chunk_id)])
    samples = await scrape(api)
    assert value(samples, "symbols_index_cache_evictions_total") == 2
    assert value(samples, "symbols_index_cache_entries") == 1
    assert value(samples, "symbols_index_cache_misses_total") == 3
    assert value(samples, "symbols_index_loads_total", source="stored") == 3


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_oldest_due_queued_job_age(api_factory, db_kind):
    api = await api_factory(db_kind)
    await api.upload("old", BLOBS["raw_json"])
    await api.upload("later", BLOBS["gzip"])
    [old, later] = await api.jobs()
    now = utcnow()
    async with api.db.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == old.id).values(run_after=now - timedelta(seconds=120)))
        # Not due yet (a retry waiting out its backoff): not "waiting".
        await conn.execute(update(jobs).where(jobs.c.id == later.id).values(run_after=now + timedelta(hours=1)))
    samples = await scrape(api)
    assert value(samples, "symbols_jobs", state="queued") == 2
    assert 120 <= value(samples, "symbols_jobs_oldest_due_age_seconds") < 180


async def test_a_database_fault_leaves_job_series_out_not_a_500(api, caplog):
    await api.upload("a", BLOBS["raw_json"])
    assert value(await scrape(api), "symbols_jobs", state="queued") == 1
    from symbols.db.queue import queue_stats

    dead = open_database("postgresql://postgres@127.0.0.1:9/nowhere")  # nothing listens there
    metrics = api.client.app[CONTEXT].metrics
    try:
        metrics.queue_source = lambda: queue_stats(dead)
        with caplog.at_level(logging.WARNING, logger="symbols.api.metrics"):
            samples = await scrape(api)
    finally:
        await dead.close()
    assert not any(name.startswith("symbols_jobs") for name, _ in samples)
    assert any(name == "symbols_http_requests_total" for name, _ in samples)
    assert any("job counts left out" in r.getMessage() for r in caplog.records)
