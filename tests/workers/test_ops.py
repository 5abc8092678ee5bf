"""Operating workers: Worker.health, the /metrics and /healthz server of a standalone
worker (in process and as `symbols worker --metrics-port`), `symbols jobs stats` and
`symbols jobs list`'s header."""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from symbols.config import ConfigError, Settings
from symbols.db import queue
from symbols.db.queue import queue_stats
from symbols.db.tables import jobs
from symbols.db.types import utcnow
from symbols.metrics import Metrics
from symbols.workers import Worker
from symbols.workers.ops import start_ops_server
from tests.support.bundles import APP_MAP, REPO
from tests.support.net import free_port
from tests.support.processes import popen, process_env, reap, run_symbols, sigterm


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.text()


def samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def wait_for(predicate, timeout: float = 10.0) -> None:
    """Until ``predicate()`` (a function or a coroutine function) is true."""
    deadline = time.monotonic() + timeout
    while not await _result(predicate()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_health_follows_the_loop(env):
    worker = Worker(env.deps, poll_seconds=0.05)
    assert not worker.health().ok  # not started
    task = asyncio.create_task(worker.run())
    try:
        await wait_for(lambda: worker.last_poll is not None)
        health = worker.health()
        assert health.ok and health.running and health.busy == 0
        # A loop that has not reached the queue for 3 poll intervals is not healthy...
        assert not worker.health(now=worker.last_poll + 3 * 0.05 + 0.01).ok
        assert worker.health(now=worker.last_poll + 3 * 0.05 - 0.01).ok
        # ...unless it is busy with a job (a long build does not poll).
        worker.busy += 1
        assert worker.health(now=worker.last_poll + 60).ok
        worker.busy -= 1
    finally:
        worker.stop()
        await task
    assert not worker.health().ok and not worker.health().running


async def _result(value):
    return await value if inspect.isawaitable(value) else value


async def test_ops_server_metrics_and_healthz_then_503_when_the_loop_stops(env):
    await env.upload("a", APP_MAP)
    await env.upload("b", b"not a source map")
    metrics = Metrics()
    metrics.queue_source = lambda: queue_stats(env.db)
    worker = Worker(env.deps, poll_seconds=0.2, metrics=metrics)
    port = free_port()
    runner = await start_ops_server(worker, metrics, "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    try:
        status, body = await get(f"{base}/healthz")
        assert status == 503 and '"running": false' in body  # not started yet
        task = asyncio.create_task(worker.run())

        async def done() -> bool:
            s = samples((await get(f"{base}/metrics"))[1])
            return s.get(("symbols_jobs", (("state", "done"),))) == 2

        await wait_for(done)
        status, _ = await get(f"{base}/healthz")
        assert status == 200
        s = samples((await get(f"{base}/metrics"))[1])
        run = "symbols_job_runs_total"
        assert s[(run, (("kind", "process_symbol_set"), ("outcome", "done")))] == 1
        assert s[(run, (("kind", "process_symbol_set"), ("outcome", "failed_input")))] == 1
        assert s[("symbols_jobs", (("state", "queued"),))] == 0

        worker.stop()
        await task
        status, body = await get(f"{base}/healthz")
        assert status == 503 and '"status": "unavailable"' in body
    finally:
        worker.stop()
        await runner.cleanup()


async def test_symbols_worker_serves_metrics_and_healthz(env):
    await env.upload("a", APP_MAP)
    port = free_port()
    proc = popen(
        [sys.executable, "-m", "symbols", "worker", "--metrics-port", str(port)],
        cwd=REPO,
        env=process_env(env.db, env.store.root, SYMBOLS_INDEX_PROCESSES="0", SYMBOLS_JOB_POLL_SECONDS="0.5"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async def processed() -> bool:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                status, text = await get(f"{base}/metrics")
            except aiohttp.ClientError:
                return False
            key = ("symbols_job_runs_total", (("kind", "process_symbol_set"), ("outcome", "done")))
            return status == 200 and samples(text).get(key) == 1

        await wait_for(processed, timeout=30)
        status, body = await get(f"{base}/healthz")
        assert status == 200, body
        text = (await get(f"{base}/metrics"))[1]
        assert samples(text)[("symbols_jobs", (("state", "done"),))] == 1
        assert samples(text)[("symbols_index_builds_total", (("outcome", "ok"),))] == 1
        _, err = await sigterm(proc)
    finally:
        reap(proc)
    assert proc.returncode == 0, err
    with pytest.raises(aiohttp.ClientError):
        await get(f"{base}/healthz")  # gone with the process


def test_worker_metrics_port_setting():
    assert Settings.from_env({}).worker_metrics_port is None
    assert Settings.from_env({"SYMBOLS_WORKER_METRICS_PORT": "9464"}).worker_metrics_port == 9464
    for bad in ("0", "70000", "x"):
        with pytest.raises(ConfigError):
            Settings.from_env({"SYMBOLS_WORKER_METRICS_PORT": bad})


async def test_jobs_stats_exit_codes(env):
    proc_env = process_env(env.db, env.store.root)

    async def stats(*args: str):
        result = await asyncio.to_thread(run_symbols, proc_env, "jobs", "stats", *args)
        lines = dict(line.split("\t") for line in result.stdout.splitlines())
        return result.returncode, lines, result.stderr

    code, lines, _ = await stats()
    assert code == 0
    assert lines == {"queued": "0", "running": "0", "done": "0", "dead": "0", "oldest_due_queued_seconds": "0.0"}

    await env.upload("a", APP_MAP)
    [job] = await queue.list_jobs(env.db)
    async with env.db.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job.id).values(run_after=utcnow() - timedelta(seconds=900)))
    code, lines, err = await stats()  # default --max-age 600
    assert code == 1 and lines["queued"] == "1" and 900 <= float(lines["oldest_due_queued_seconds"]) < 1000
    assert "waited" in err
    code, _, _ = await stats("--max-age", "3600")
    assert code == 0

    claimed = await queue.claim(env.db, "w", lease_seconds=30)
    await queue.fail(env.db, claimed, "boom", retry=False)
    code, lines, err = await stats("--max-age", "3600")
    assert code == 1 and lines["dead"] == "1" and lines["queued"] == "0"
    assert "1 dead job(s)" in err
