"""python -m bench.capture [--events N] [--batch B] [--concurrency C] [--db sqlite,postgresql]
[--stream database,redis] [--gzip] [--profile]

Capture throughput: events per second acknowledged by ``POST /batch/`` over HTTP, each
request a batch of ``--batch`` (default 50) ``$exception`` events with 10 frames
(~1.3 KB each as JSON), ``--concurrency`` requests in flight (default 8).

The service is a real ``symbols serve`` process (embedded worker off, so nothing drains
the stream while it fills) on a free port; this process is the client and sends
pre-encoded bodies, so its own cost stays small (both share this machine's cores).
Databases: a SQLite file in a temporary directory, or a fresh PostgreSQL database on
127.0.0.1:5432 (dropped afterwards). The Redis stream runs on a redis-server started for
the run on a free port, ``appendonly yes`` with ``appendfsync always`` (an acknowledged
event is on disk, as the database stream's are). ``--profile`` runs the service under
cProfile and prints where its time goes. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip as gziplib
import os
import pstats
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import orjson

from bench.databases import scratch_database
from bench.service import cpu_seconds, free_port, wait_up
from symbols.db import migrate, open_database
from symbols.db.access import create_project

WARM_UP_REQUESTS = 20


def _event(n: int) -> dict:
    frames = [{"platform": "web:javascript", "filename": "https://cdn.example.com/assets/app.js",
               "function": f"f{i}", "lineno": 1, "colno": 20 + 37 * i, "in_app": True}
              for i in range(10)]
    return {
        "event": "$exception", "uuid": str(uuid.uuid4()), "distinct_id": f"user-{n % 500}",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "properties": {
            "$exception_list": [{"type": f"Error{n % 20}", "value": f"failure number {n}",
                                 "mechanism": {"handled": False, "type": "generic"},
                                 "stacktrace": {"type": "raw", "frames": frames}}],
            "$lib": "posthog-js", "$lib_version": "1.200.0", "$session_id": str(uuid.uuid4()),
            "$current_url": "https://example.com/checkout",
        },
    }


def _bodies(token: str, requests: int, batch: int, gzip: bool) -> list[bytes]:
    bodies = []
    for r in range(requests):
        body = orjson.dumps({"api_key": token, "sent_at": "2026-01-01T00:00:01.000Z",
                             "batch": [_event(r * batch + i) for i in range(batch)]})
        bodies.append(gziplib.compress(body, 6) if gzip else body)
    return bodies


async def _send_all(url: str, bodies: list[bytes], concurrency: int, gzip: bool) -> tuple[int, float]:
    """(requests answered 200, seconds) for sending every body, ``concurrency`` at once."""
    pending = iter(bodies)
    ok = 0
    headers = {"Content-Type": "application/json"}
    params = {"compression": "gzip"} if gzip else {}

    async def lane(http: aiohttp.ClientSession) -> None:
        nonlocal ok
        for body in pending:
            async with http.post(url + "/batch/", data=body, headers=headers, params=params) as resp:
                await resp.read()
                ok += resp.status == 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        await asyncio.gather(*(lane(http) for _ in range(concurrency)))
        return ok, time.perf_counter() - start


async def _redis_server(folder: Path) -> tuple[asyncio.subprocess.Process, str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes",
        "--appendfsync", "always", "--save", "", stdout=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(0.3)
    return proc, f"redis://127.0.0.1:{port}/0"


async def run(db_kind: str, stream: str, args: argparse.Namespace) -> float:
    work = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    try:
        async with scratch_database(db_kind, work) as db_url:
            return await _run(db_url, db_kind, work, stream, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _run(db_url: str, db_kind: str, work: Path, stream: str, args: argparse.Namespace) -> float:
    db = open_database(db_url)
    redis = None
    server = None
    try:
        await migrate(db)
        async with db.begin() as conn:
            token = (await create_project(conn, "bench")).api_token
        await db.close()
        env = {**os.environ, "SYMBOLS_DATA_DIR": str(work / "data"), "SYMBOLS_DATABASE_URL": db_url,
               "SYMBOLS_EMBEDDED_WORKER": "0", "SYMBOLS_BOOTSTRAP": "0", "SYMBOLS_LOG_LEVEL": "WARNING",
               "SYMBOLS_INDEX_PROCESSES": "0", "SYMBOLS_SECRET_KEY": "bench"}
        port = free_port()
        env["SYMBOLS_PORT"] = str(port)
        if stream == "redis":
            redis, env["SYMBOLS_STREAM_URL"] = await _redis_server(work)
        profile = work / "serve.prof"
        command = ["-m", "cProfile", "-o", str(profile)] if args.profile else []
        server = await asyncio.create_subprocess_exec(
            sys.executable, *command, "-m", "symbols", "serve", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        await wait_up(url, server)
        requests = max(args.events // args.batch, 1)
        await _send_all(url, _bodies(token, WARM_UP_REQUESTS, args.batch, args.gzip), args.concurrency,
                        args.gzip)
        bodies = _bodies(token, requests, args.batch, args.gzip)
        cpu = cpu_seconds(server.pid)
        ok, seconds = await _send_all(url, bodies, args.concurrency, args.gzip)
        cpu = cpu_seconds(server.pid) - cpu
        events = ok * args.batch
        rate = events / seconds
        print(f"{db_kind:<10} {stream:<8} {events:>7} events in {seconds:6.2f} s  {rate:>8,.0f} events/s"
              f"  service CPU {cpu:5.2f} s = {events / max(cpu, 1e-9):>7,.0f} events per CPU-second"
              f"  ({ok}/{requests} requests ok)", flush=True)
        if args.profile:
            server.send_signal(signal.SIGINT)
            await server.wait()
            pstats.Stats(str(profile)).sort_stats("tottime").print_stats(30)
        return rate
    finally:
        for proc in (server, redis):
            if proc is not None and proc.returncode is None:
                proc.terminate()
                await proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.capture", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--stream", default="database,redis")
    ap.add_argument("--gzip", action="store_true", help="gzip the bodies as posthog-js does")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    print(f"capture: batches of {args.batch}, {args.concurrency} in flight, {os.cpu_count()} cores"
          + (", gzip" if args.gzip else ""))
    for db_kind in args.db.split(","):
        for stream in args.stream.split(","):
            asyncio.run(run(db_kind, stream, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
