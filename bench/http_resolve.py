"""Resolution over HTTP: a real service on loopback (SQLite, local blob directory).

    python -m bench.http_resolve [--map monaco] [--seconds 10] [--batch 50] [--clients 4]
                                 [--positions 5000] [--profile-seconds 5] [--save-profile PATH]

1. First resolution right after upload of the map (as a source+map container, so
   function scopes are built too), two ways:
   - from the stored index: the worker has processed the upload; the service's cache
     is cold, so the request loads ``{storage_ptr}.index`` from the blob store;
   - from the raw map: no job has run; the request parses the map and the minified
     source (in the index process pool), stores the index, and answers.
2. Warm throughput of a ``symbols serve`` child process on the same data (this process
   is only the client): frames resolved per second with 5 context lines, in batches of
   ``--batch`` frames at ``--positions`` distinct mapped positions sent round-robin,
   ``--clients`` requests in flight, everything in the cache (every batch is sent once
   before timing, so the service has kept each frame's answer unless ``--positions`` is
   over what it keeps: then most frames are resolved as first seen). Besides wall-clock frames/s it
   prints frames per CPU-second of the service process (its CPU time over the timed run,
   from /proc): the one-core figure, which holds on a busy machine. Then the service runs
   under cProfile for ``--profile-seconds`` and the bench prints where its time goes, by
   area and by function.

The maps come from bench/.cache (downloaded by bench.fetch with npm on first use).
Numbers depend on the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
import orjson
from aiohttp import web

from bench.fetch import MAPS, fetch_map
from bench.service import (
    PROFILE_ENV,
    cpu_times,
    free_port,
    own_time_by_area,
    print_areas,
    profiled,
    wait_up,
)
from symbols.api import CONTEXT
from symbols.app import create_app
from symbols.config import Settings
from symbols.db import migrate, open_database
from symbols.db.access import KNOWN_SCOPES, create_api_key, create_project
from symbols.sourcemaps import load_index
from symbols.storage import LocalBlobStore
from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder
from symbols.workers import Deps, Worker


class Service:
    def __init__(self, tmp: Path, index_processes: int) -> None:
        self.tmp = tmp
        self.settings = Settings(
            data_dir=tmp / "data", secret_key="bench", embedded_worker=False, bootstrap=False,
            index_processes=index_processes,
        )
        self.db = open_database(self.settings.database_url)
        self.store = LocalBlobStore(tmp / "blobs")

    async def start(self) -> None:
        await migrate(self.db)
        async with self.db.begin() as conn:
            project = await create_project(conn, "bench")
            _, self.secret = await create_api_key(
                conn, label="bench", scopes=list(KNOWN_SCOPES), project_ids=[project.id]
            )
        self.project_id = project.id
        self.app = create_app(self.settings, db=self.db, blob_store=self.store)
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/api/projects/{self.project_id}/error_tracking"
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.secret}"})

    async def stop(self) -> None:
        await self.http.close()
        await self.runner.cleanup()
        await self.store.close()
        await self.db.close()

    async def upload(self, chunk_id: str, blob: bytes) -> dict:
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(blob), filename="map", content_type="application/octet-stream")
        async with self.http.post(f"{self.base}/symbol_sets/", params={"chunk_id": chunk_id}, data=form) as resp:
            assert resp.status == 201, await resp.text()
            return await resp.json()

    async def resolve(self, frames: list[dict]) -> list[dict]:
        async with self.http.post(f"{self.base}/stack_frames/resolve/", json={"frames": frames}) as resp:
            assert resp.status == 200, await resp.text()
            return (await resp.json())["frames"]


def mapped_positions(index_bytes: bytes, n: int, seed: int = 7) -> list[tuple[int, int]]:
    """``n`` random (line, column) of segments, 1-based as in stack traces."""
    source_map = load_index(index_bytes)
    starts = source_map.columns.line_starts.astype(np.int64)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randrange(source_map.segment_count)
        line = int(np.searchsorted(starts, k, side="right")) - 1
        out.append((line + 1, int(source_map.columns.column[k]) + 1))
    return out


async def run(args: argparse.Namespace) -> dict:
    spec = next(m for m in MAPS if m.name == args.map)
    fetch_map(spec)
    map_bytes, js_bytes = spec.map_path.read_bytes(), spec.js_path.read_bytes()
    blob = pack(map_bytes, js_bytes)
    print(f"{spec.name}: map {len(map_bytes) / 1e6:.1f} MB, minified source {len(js_bytes) / 1e6:.1f} MB, "
          f"container {len(blob) / 1e6:.1f} MB (zstd)")
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), args.index_processes)
        await service.start()
        try:
            return await _measure(service, blob, args)
        finally:
            if not service.http.closed:
                await service.stop()


async def _measure(service: Service, blob: bytes, args) -> dict:
    results: dict = {}
    resolution = service.app[CONTEXT].resolver.loader

    # Warm the index process pool so neither figure pays for starting it.
    await resolution.builder.build(pack(b'{"version":3,"sources":[],"names":[],"mappings":""}', b""))

    # (a) stored index: upload, the worker processes it, cold cache, first resolve.
    uploaded = await service.upload("indexed", blob)
    builder = IndexBuilder(args.index_processes)
    start = time.perf_counter()
    await Worker(Deps(service.db, service.store, builder), poll_seconds=0.01).run_burst()
    results["worker_processing_s"] = time.perf_counter() - start
    builder.close()
    async with service.http.get(f"{service.base}/symbol_sets/{uploaded['symbol_set_id']}/") as resp:
        item = await resp.json()
    index_bytes = await service.store.get_bytes(item["storage_ptr"] + ".index")
    results["index_bytes"] = len(index_bytes)
    positions = mapped_positions(index_bytes, args.positions)
    frame = {"filename": "editor.main.js", "function": "x", "lineno": positions[0][0], "colno": positions[0][1]}
    resolution.cache.clear()
    start = time.perf_counter()
    [out] = await service.resolve([dict(frame, chunk_id="indexed")])
    results["first_from_stored_index_s"] = time.perf_counter() - start
    assert out["resolved"], out

    # (b) raw map: upload, no job has run, first resolve parses and stores.
    await service.upload("raw", blob)
    start = time.perf_counter()
    [out] = await service.resolve([dict(frame, chunk_id="raw")])
    results["first_from_raw_map_s"] = time.perf_counter() - start
    assert out["resolved"], out

    await service.stop()
    frames = [
        {"platform": "web:javascript", "filename": "editor.main.js", "function": "x", "lineno": line,
         "colno": col, "chunk_id": "indexed"}
        for line, col in positions
    ]
    batches = [orjson.dumps({"frames": frames[i:i + args.batch]})
               for i in range(0, len(frames) - args.batch + 1, args.batch)]
    results |= await _warm(service, batches, args)
    return results


async def _warm(service: Service, batches: list[bytes], args) -> dict:
    """(c) Warm throughput against a ``symbols serve`` child on the same data: its CPU time
    over the timed run, then a profiled run."""
    profile = service.tmp / "serve.prof"
    port = free_port()
    env = {**os.environ, "SYMBOLS_DATA_DIR": str(service.tmp / "data"), "SYMBOLS_STORAGE_URL": str(service.tmp / "blobs"),
           "SYMBOLS_EMBEDDED_WORKER": "0", "SYMBOLS_BOOTSTRAP": "0", "SYMBOLS_LOG_LEVEL": "WARNING",
           "SYMBOLS_SECRET_KEY": "bench", "SYMBOLS_PORT": str(port), PROFILE_ENV: str(profile)}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.service", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        root = f"http://127.0.0.1:{port}"
        await wait_up(root, server)
        url = f"{root}/api/projects/{service.project_id}/error_tracking/stack_frames/resolve/"
        headers = {"Authorization": f"Bearer {service.secret}", "Content-Type": "application/json"}
        async with aiohttp.ClientSession(headers=headers,
                                         connector=aiohttp.TCPConnector(limit=args.clients)) as http:
            # Warm: every batch once (the index loaded, sources split, original scopes parsed).
            for body in batches:
                await _post(http, url, body)
            (user, system), client_cpu = cpu_times(server.pid), time.process_time()
            results = await _load(http, url, batches, args.clients, args.seconds)
            user_after, system_after = cpu_times(server.pid)
            results["server_cpu_s"] = user_after - user + system_after - system
            results["server_system_s"] = system_after - system
            results["client_cpu_s"] = time.process_time() - client_cpu
            results["load_average"] = os.getloadavg()[0]
            if args.profile_seconds > 0:
                await profiled(server, profile, lambda: _load(http, url, batches, args.clients,
                                                             args.profile_seconds))
                results["profile"] = pstats.Stats(str(profile))
        return results
    finally:
        server.terminate()
        await server.wait()


async def _post(http: aiohttp.ClientSession, url: str, body: bytes) -> list[dict]:
    async with http.post(url, data=body) as resp:
        assert resp.status == 200, await resp.text()
        return orjson.loads(await resp.read())["frames"]


async def _load(http: aiohttp.ClientSession, url: str, batches: list[bytes], clients: int, seconds: float) -> dict:
    """``clients`` requests in flight for ``seconds``: frames/s, share resolved, latencies."""
    latencies: list[float] = []
    frames = resolved = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal frames, resolved
        i = offset
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            out = await _post(http, url, batches[i % len(batches)])
            latencies.append(time.perf_counter() - t0)
            frames += len(out)
            resolved += sum(f["resolved"] and f["context"] is not None for f in out)
            i += clients

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "frames": frames,
        "frames_per_s": frames / elapsed,
        "resolved_share": resolved / frames,
        "batch_p50_ms": statistics.median(latencies) * 1000,
        "batch_p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
    }


AREAS = [  # first match wins: (label, substring of the function's file path or name)
    ("idle: waiting in epoll", "epoll"),
    ("socket reads and writes", "socket"),
    ("auth (api key, projects)", "symbols/api/auth.py"),
    ("request models (pydantic)", "pydantic"),
    ("api handler and operation", "symbols/api/"),
    ("finding sets (database)", "symbols/resolve/finding.py"),
    ("resolver (lookups, shaping, context)", "symbols/resolve"),
    ("source-map engine", "symbols/sourcemaps"),
    ("web pages' middlewares (session, CSRF)", "aiohttp_session"),
    ("symbols/web middlewares", "symbols/web"),
    ("sqlalchemy (compile, execute)", "sqlalchemy"),
    ("aiosqlite / sqlite3", "sqlite"),
    ("json (orjson)", "orjson"),
    ("aiohttp (HTTP parsing, responses)", "aiohttp"),
    ("logging and metrics", "logging"),
    ("logging and metrics", "prometheus"),
    ("asyncio event loop and threads", "asyncio"),
    ("asyncio event loop and threads", "threading"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", default="monaco", choices=[m.name for m in MAPS])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--index-processes", type=int, default=1)
    parser.add_argument("--positions", type=int, default=5000,
                        help="distinct frames sent round-robin (past 16,384 the service's kept answers "
                             "cannot hold them all: mostly first-seen frames)")
    parser.add_argument("--profile-seconds", type=float, default=5.0,
                        help="then profile the service (cProfile) this long; 0: no profile")
    parser.add_argument("--top", type=int, default=25, help="functions of the profile to list")
    parser.add_argument("--save-profile", type=Path, help="also write the profile (pstats) here")
    args = parser.parse_args()
    r = asyncio.run(run(args))
    print(f"worker processing (parse + scopes + store index): {r['worker_processing_s']:.2f} s, "
          f"index {r['index_bytes'] / 1e6:.1f} MB")
    print(f"first resolution after upload, from the stored index: {r['first_from_stored_index_s'] * 1000:.0f} ms")
    print(f"first resolution after upload, parsing the raw map:   {r['first_from_raw_map_s'] * 1000:.0f} ms "
          f"({r['first_from_raw_map_s'] / r['first_from_stored_index_s']:.1f}x slower)")
    print(f"warm cache, a `symbols serve` process, batches of {args.batch} frames with context lines, "
          f"{args.clients} in flight, {args.seconds:.0f} s, load average {r['load_average']:.1f} "
          f"on {os.cpu_count()} cores:")
    print(f"  {r['frames_per_s']:,.0f} frames/s wall clock (batch p50 {r['batch_p50_ms']:.1f} ms, "
          f"p99 {r['batch_p99_ms']:.1f} ms; {r['resolved_share']:.0%} resolved with context)")
    print(f"  service CPU {r['server_cpu_s']:.2f} s for {r['frames']:,} frames: "
          f"{r['frames'] / r['server_cpu_s']:,.0f} frames per CPU-second "
          f"({1e6 * r['server_cpu_s'] / r['frames']:.0f} us/frame, {r['server_system_s']:.2f} s of it in the kernel); "
          f"this client used {r['client_cpu_s']:.2f} s")
    if "profile" in r:
        stats = r["profile"]
        if args.save_profile:
            stats.dump_stats(args.save_profile)
        print_areas(own_time_by_area(stats, AREAS), f"where the service's time goes ({args.profile_seconds:.0f} s "
                                                    "under cProfile, own time by area)")
        print(f"  top {args.top} functions by own time:")
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
