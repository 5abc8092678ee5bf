"""The pipeline consumer beside the job loop: in process (a late upload resolves stored
events through the worker's jobs), and as `symbols worker` processes (SIGTERM finishes
the batch in hand; SIGKILL mid-batch leaves no event stored or counted twice)."""

from __future__ import annotations

import asyncio
import sys

import pytest
from sqlalchemy import func, select

from symbols.db.symbol_sets import list_symbol_sets
from symbols.db.tables import capture_stream, events, issue_fingerprints, issues
from symbols.errortracking.pipeline import Pipeline
from symbols.errortracking.stream import DatabaseStream
from symbols.resolve import IndexCache, IndexLoader, Resolver
from symbols.symbol_sets.container import pack
from symbols.workers import Deps, Worker
from symbols.workers.pipeline import PipelineConsumer
from tests.support.pipeline import APP, app_exception, captured
from tests.support.processes import REPO, popen, process_env, reap, run_symbols, sigterm


async def _count(db, query) -> int:
    async with db.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def _publish(db, project_id: int, count: int, kinds: int) -> None:
    items = [
        captured({"$exception_list": [app_exception(chunk_id=None, kind=f"Error{n % kinds}")]})
        for n in range(count)
    ]
    await DatabaseStream(db).publish(project_id, [(e.uuid, e.to_bytes()) for e in items])


async def test_a_late_upload_resolves_stored_events_through_the_jobs(env, tmp_path):
    resolver = Resolver(env.db, IndexLoader(env.db, env.store, env.deps.builder, IndexCache(64 << 20)))
    stream = DatabaseStream(env.db)
    consumer = PipelineConsumer(Pipeline(env.db, stream, resolver), stream, batch=10, burst=True)
    early = captured({"$exception_list": [app_exception(chunk_id="chunk-late")]})
    await stream.publish(env.project_id, [(early.uuid, early.to_bytes())])

    stats = await consumer.run()

    assert stats["stored"] == 1 and stats["batches_done"] == 1
    async with env.db.connect() as conn:
        row = (await conn.execute(select(events.c.properties, events.c.issue_id))).one()
    assert {f["resolved"] for f in row.properties["$exception_list"][0]["stacktrace"]["frames"]} == {False}
    async with env.db.connect() as conn:
        [placeholder], _ = await list_symbol_sets(conn, env.project_id, status="invalid")
    assert (placeholder.ref, placeholder.storage_ptr) == ("chunk-late", None)

    data = pack(APP.with_name("app.js.map").read_bytes(), APP.read_bytes())
    assert await env.upload_direct("chunk-late", data, tmp_path) == placeholder.id  # filled, not a new set
    ran = await Worker(Deps(env.db, env.store, env.deps.builder, resolver), poll_seconds=0.05).run_burst()

    assert ran == {"done": 2}  # process_symbol_set, then resolve_waiting_events
    async with env.db.connect() as conn:
        after = (await conn.execute(select(events.c.properties, events.c.issue_id))).one()
    frames = after.properties["$exception_list"][0]["stacktrace"]["frames"]
    assert [f["resolved_name"] for f in frames] == ["main", "orderTotal", "lineTotal", "checkedQuantity"]
    assert after.issue_id == row.issue_id


async def test_symbols_worker_sigterm_finishes_the_batch_in_hand(env):
    await _publish(env.db, env.project_id, 400, kinds=5)
    proc = popen([sys.executable, "-m", "symbols", "worker", "--no-jobs"], cwd=REPO,
                 env=process_env(env.db, env.store.root, SYMBOLS_PIPELINE_BATCH="20"))
    try:
        while await _count(env.db, select(func.count()).select_from(events)) == 0:
            assert proc.poll() is None, proc.stderr.read()
            await asyncio.sleep(0.05)
        _, err = await sigterm(proc)
        assert proc.returncode == 0, err
    finally:
        reap(proc)
    stored = await _count(env.db, select(func.count()).select_from(events))
    left = await _count(env.db, select(func.count()).select_from(capture_stream))
    held = await _count(env.db, select(func.count()).select_from(capture_stream).where(
        capture_stream.c.locked_by.is_not(None)))
    assert stored + left == 400 and held == 0  # nothing left leased: the batch was stored


@pytest.mark.parametrize("round_", range(2))
async def test_a_worker_killed_mid_batch_processes_nothing_twice(env, round_):
    await _publish(env.db, env.project_id, 600, kinds=30)
    proc_env = process_env(env.db, env.store.root, SYMBOLS_PIPELINE_BATCH="25", SYMBOLS_PIPELINE_LEASE_SECONDS="1")
    proc = popen([sys.executable, "-m", "symbols", "worker", "--no-jobs"], cwd=REPO, env=proc_env)
    try:
        while await _count(env.db, select(func.count()).select_from(events)) < 25 * (round_ + 1):
            assert proc.poll() is None, proc.stderr.read()
            await asyncio.sleep(0.02)
        proc.kill()
        await asyncio.to_thread(proc.communicate, timeout=10)
    finally:
        reap(proc)
    assert await _count(env.db, select(func.count()).select_from(events)) < 600
    await asyncio.sleep(1.2)  # the killed consumer's lease runs out
    done = await asyncio.to_thread(run_symbols, proc_env, "worker", "--no-jobs", "--burst", timeout=120)
    assert done.returncode == 0, done.stderr

    assert await _count(env.db, select(func.count()).select_from(events)) == 600
    assert await _count(env.db, select(func.count()).select_from(capture_stream)) == 0
    async with env.db.connect() as conn:
        per_issue = dict((await conn.execute(
            select(events.c.issue_id, func.count()).group_by(events.c.issue_id))).all())
        counters = dict((await conn.execute(select(issues.c.id, issues.c.occurrences))).all())
        fingerprints = (await conn.execute(select(func.count()).select_from(issue_fingerprints))).scalar_one()
    assert len(counters) == 30 and fingerprints == 30  # one issue per fingerprint
    assert counters == per_issue and sum(counters.values()) == 600  # each event counted once
