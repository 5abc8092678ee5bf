"""Capture under faults: a service SIGKILLed right after acknowledging batches loses none
of them; a Redis that stops makes capture answer 503 with nothing half-written, and
capture works again once it is back. The service runs as a real ``symbols serve``
process; the Redis here is this test's own ``redis-server`` (never the machine's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from redis.exceptions import RedisError

from symbols.db import migrate, open_database
from symbols.db.access import create_project
from symbols.errortracking.redis_stream import RedisStream
from tests.databases import open_test_database
from tests.support.capture import exception_event, queued
from tests.support.net import free_port

REDIS_SERVER = shutil.which("redis-server")


async def _wait_until(check, what: str, tries: int = 200) -> None:
    for _ in range(tries):
        try:
            if await check():
                return
        except (OSError, aiohttp.ClientError, RedisError):
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not come up")


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_sigkill_right_after_acknowledging_loses_no_acknowledged_event(
    request, tmp_path, db_kind
):
    if db_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'symbols.db'}"
        db = open_database(url)
        await migrate(db)
    else:
        url = request.getfixturevalue("pg_url")
        db = await open_test_database("postgresql", request, tmp_path)
    async with db.begin() as conn:
        token = (await create_project(conn, "web")).api_token
    port = free_port()
    env = {**os.environ, "SYMBOLS_DATA_DIR": str(tmp_path / "data"), "SYMBOLS_DATABASE_URL": url,
           "SYMBOLS_PORT": str(port), "SYMBOLS_EMBEDDED_WORKER": "0", "SYMBOLS_BOOTSTRAP": "0",
           "SYMBOLS_SECRET_KEY": "test", "SYMBOLS_INDEX_PROCESSES": "0"}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "symbols", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    batches = [[exception_event(f"u{b}") for _ in range(50)] for b in range(16)]
    acknowledged: list[int] = []
    try:
        async with aiohttp.ClientSession() as http:
            async def healthy() -> bool:
                async with http.get(base + "/healthz") as resp:
                    return resp.status == 200

            await _wait_until(healthy, "symbols serve")

            async def send(n: int) -> None:
                body = {"api_key": token, "batch": batches[n]}
                async with http.post(base + "/batch/", json=body) as resp:
                    if resp.status == 200:
                        acknowledged.append(n)
                        server.send_signal(signal.SIGKILL)  # on the first 200, at once

            results = await asyncio.gather(*(send(n) for n in range(len(batches))), return_exceptions=True)
        assert await asyncio.wait_for(server.wait(), 10) == -signal.SIGKILL
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert acknowledged, results
    stored = await queued(db, None)
    await db.close()
    uuids = {u for _, u, _ in stored}
    for n in acknowledged:
        assert {e["uuid"] for e in batches[n]} <= uuids, f"batch {n} was acknowledged and lost"
    for batch in batches:  # a batch is durable whole or not at all
        present = {e["uuid"] for e in batch} & uuids
        assert len(present) in (0, len(batch))


class OwnRedis:
    """A redis-server of this test, on a free port, its append-only file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is needed for this test")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


async def test_redis_stopped_is_503_then_capture_resumes_with_exactly_the_acknowledged_events(
    capture_factory, own_redis
):
    stream = RedisStream(own_redis.url, prefix="faults")
    await _wait_until(stream.client.ping, "redis-server")
    capture = await capture_factory(redis=stream)

    async def send(events) -> tuple[int, dict | None]:
        status, body, _ = await capture.send("/batch/", {"api_key": capture.token, "batch": events})
        return status, body

    before, during, after = ([exception_event(w) for _ in range(20)] for w in ("a", "b", "c"))
    assert (await send(before))[0] == 200
    own_redis.stop()
    status, body = await send(during)
    assert status == 503 and body["code"] == "stream_unavailable"
    own_redis.start()
    await _wait_until(stream.client.ping, "redis-server again")
    assert (await send(after))[0] == 200
    assert [u for _, u, _ in await queued(capture.api.db, stream)] == [
        e["uuid"] for e in before + after
    ]
    assert (await send(during))[0] == 200  # the SDK's retry of the refused batch
    assert len(await queued(capture.api.db, stream)) == 60
