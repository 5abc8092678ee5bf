"""Workers as real processes: SIGKILL mid-job, SIGTERM, many workers at once, the
`symbols worker` and `symbols jobs` commands, and the worker embedded in `symbols serve`."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import pytest

from symbols.db import open_database, queue
from symbols.db.queue import list_jobs
from symbols.db.symbol_sets import get_symbol_set
from symbols.db.types import utcnow
from symbols.symbol_sets.blobs import index_key
from symbols.symbol_sets.pool import IndexBuilder
from symbols.workers import Deps, Worker
from tests.support.bundles import APP_JS, APP_MAP, REPO
from tests.support.net import free_port
from tests.support.processes import popen, process_env, reap, run_symbols, sigterm, start_serve


async def test_a_job_killed_mid_run_is_claimed_again_after_its_lease(env, tmp_path):
    from symbols.symbol_sets.container import pack

    set_id, ptr = await env.upload("app", pack(APP_MAP, APP_JS))
    proc_env = process_env(env.db, env.store.root, SYMBOLS_JOB_LEASE_SECONDS="3", SYMBOLS_INDEX_PROCESSES="0")
    slow = popen(
        [sys.executable, str(REPO / "tests" / "workers" / "slow_worker.py")],
        cwd=REPO, env=proc_env,
    )
    try:
        line = await asyncio.to_thread(slow.stdout.readline)
        assert line.startswith("started "), slow.stderr.read() if slow.poll() is not None else line
        await asyncio.sleep(1.0)  # heartbeats keep the lease alive while it runs
        [running] = await list_jobs(env.db, state="running")
        assert running.attempts == 1
        slow.send_signal(signal.SIGKILL)
        await asyncio.to_thread(slow.wait, 10)
    finally:
        if slow.poll() is None:
            slow.kill()
        slow.communicate()
    # Until the lease runs out, nobody else takes the job.
    assert await queue.claim(env.db, "other", lease_seconds=30) is None
    [still] = await list_jobs(env.db, state="running")
    assert still.locked_by == running.locked_by
    wait = (still.lease_expires_at - utcnow()).total_seconds()
    await asyncio.sleep(max(wait, 0) + 0.2)
    done = await asyncio.to_thread(run_symbols, proc_env, "worker", "--burst")
    assert done.returncode == 0, done.stderr
    [job] = await list_jobs(env.db)
    assert (job.state, job.attempts) == ("done", 2)
    async with env.db.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id)
    assert symbol_set.processed_at is not None and symbol_set.failure_reason is None
    assert await env.store.head(index_key(ptr)) is not None


async def test_sigterm_finishes_the_job_in_hand(env):
    from symbols.symbol_sets.container import pack

    set_id, _ = await env.upload("app", pack(APP_MAP, APP_JS))
    proc_env = process_env(env.db, env.store.root, SYMBOLS_INDEX_PROCESSES="0")
    proc = popen(
        [sys.executable, str(REPO / "tests" / "workers" / "slow_worker.py"), "1.5"],
        cwd=REPO, env=proc_env,
    )
    try:
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.startswith("started ")
        out, err = await sigterm(proc)  # mid-job
    finally:
        reap(proc)
    assert proc.returncode == 0 and out.strip() == "stopped", err
    [job] = await list_jobs(env.db)
    assert (job.state, job.attempts) == ("done", 1)
    async with env.db.connect() as conn:
        assert (await get_symbol_set(conn, set_id)).processed_at is not None


async def test_symbols_worker_command_stops_on_sigterm(env):
    proc_env = process_env(env.db, env.store.root)
    proc = popen(
        [sys.executable, "-m", "symbols", "worker", "--concurrency", "2"], cwd=REPO, env=proc_env,
    )
    try:
        while True:  # migration logs come first
            line = await asyncio.to_thread(proc.stderr.readline)
            assert line, "worker exited"
            if "started (2 slots)" in json.loads(line)["msg"]:
                break
        _, err = await sigterm(proc)
    finally:
        reap(proc)
    assert proc.returncode == 0, err
    assert any("stopped" in json.loads(line)["msg"] for line in err.splitlines())


@pytest.mark.parametrize("database", ["postgresql", "sqlite"], indirect=True)
async def test_many_workers_on_separate_connections_run_each_job_once(env, database):
    from symbols.db.jobs import enqueue_job

    async with env.db.begin() as conn:
        ids = [await enqueue_job(conn, "count", {"n": n}, None) for n in range(120)]
    runs: list[int] = []

    async def count(deps, job):
        runs.append(job.id)
        await asyncio.sleep(0.005)

    url = database.engine.url.render_as_string(hide_password=False)
    dbs = [open_database(url) for _ in range(3)]
    try:
        workers = [
            Worker(Deps(db, env.store, IndexBuilder(0)), handlers={"count": count}, concurrency=4,
                   poll_seconds=0.01, worker_id=f"w{i}")
            for i, db in enumerate(dbs)
        ]
        await asyncio.gather(*(w.run_burst() for w in workers))
    finally:
        for db in dbs:
            await db.close()
    assert sorted(runs) == sorted(ids)
    assert all(j.state == "done" and j.attempts == 1 for j in await list_jobs(env.db, limit=1000))
    assert sum(w.stats["done"] for w in workers) == 120
    assert all(w.stats["done"] > 0 for w in workers)  # the work was shared


async def test_jobs_commands_list_dead_and_retry(env):
    set_id, _ = await env.upload("app", APP_MAP)
    job = await queue.claim(env.db, "w", lease_seconds=30)
    await queue.fail(env.db, job, "boom: storage on fire", retry=False)
    proc_env = process_env(env.db, env.store.root)
    listed = await asyncio.to_thread(run_symbols, proc_env, "jobs", "list", "--state", "dead")
    assert listed.returncode == 0, listed.stderr
    header, line = listed.stdout.splitlines()
    assert header.split("\t") == ["id", "kind", "state", "attempts", "run_after", "payload", "last_error"]
    fields = line.split("\t")
    assert fields[:4] == [str(job.id), "process_symbol_set", "dead", "1/5"]
    assert f"symbol_set_id={set_id}" in line and "boom: storage on fire" in line
    assert (await asyncio.to_thread(run_symbols, proc_env, "jobs", "list", "--state", "queued")).stdout == header + "\n"
    retried = await asyncio.to_thread(run_symbols, proc_env, "jobs", "retry", str(job.id))
    assert retried.returncode == 0 and f"job {job.id} queued" in retried.stdout
    again = await asyncio.to_thread(run_symbols, proc_env, "jobs", "retry", str(job.id))
    assert again.returncode != 0 and "is queued" in again.stderr
    missing = await asyncio.to_thread(run_symbols, proc_env, "jobs", "retry", "999999")
    assert missing.returncode != 0 and "no job" in missing.stderr
    done = await asyncio.to_thread(run_symbols, proc_env, "worker", "--burst", "--concurrency", "2")
    assert done.returncode == 0, done.stderr
    [job] = await list_jobs(env.db)
    assert job.state == "done"


async def test_symbols_serve_runs_an_embedded_worker(tmp_path):
    import aiohttp

    port = free_port()
    proc, secret = await start_serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}/api/projects/1/error_tracking"
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            form = aiohttp.FormData()
            form.add_field("file", b'{"version":3,"sources":[],"names":[],"mappings":"!"}', filename="m.map")
            async with http.post(f"{url}/symbol_sets/", params={"chunk_id": "bad"}, data=form) as resp:
                assert resp.status == 201
                set_id = (await resp.json())["symbol_set_id"]
            for _ in range(300):
                async with http.get(f"{url}/symbol_sets/{set_id}/") as resp:
                    item = await resp.json()
                if item["failure_reason"]:
                    break
                await asyncio.sleep(0.1)
        assert "invalid_vlq" in item["failure_reason"]
        _, err = await sigterm(proc)
    finally:
        reap(proc)
    assert proc.returncode == 0, err
    assert any("worker" in json.loads(line)["msg"] and "stopped" in json.loads(line)["msg"]
               for line in err.splitlines())
