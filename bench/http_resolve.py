"""Resolution over HTTP: a real service on loopback (SQLite, local blob directory).

    python -m bench.http_resolve [--map monaco] [--seconds 10] [--batch 50] [--clients 4]

1. First resolution right after upload of the map (as a source+map container, so
   function scopes are built too), two ways:
   - from the stored index: the worker has processed the upload; the service's cache
     is cold, so the request loads ``{storage_ptr}.index`` from the blob store;
   - from the raw map: no job has run; the request parses the map and the minified
     source (in the index process pool), stores the index, and answers.
2. Warm throughput: frames resolved per second, in batches of ``--batch`` frames at
   mapped positions, ``--clients`` requests in flight, everything in the cache.

The maps come from bench/.cache (downloaded by bench.fetch with npm on first use).
Numbers depend on the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
from aiohttp import web

from bench.fetch import MAPS, fetch_map
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
    positions = mapped_positions(index_bytes, 5000)
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

    # (c) warm throughput.
    frames = [
        {"platform": "web:javascript", "filename": "editor.main.js", "function": "x", "lineno": line,
         "colno": col, "chunk_id": "indexed"}
        for line, col in positions
    ]
    batches = [frames[i:i + args.batch] for i in range(0, len(frames) - args.batch + 1, args.batch)]
    await service.resolve(batches[0])
    latencies: list[float] = []
    resolved = 0
    deadline = time.perf_counter() + args.seconds

    async def client(offset: int) -> None:
        nonlocal resolved
        i = offset
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            out = await service.resolve(batches[i % len(batches)])
            latencies.append(time.perf_counter() - t0)
            resolved += sum(f["resolved"] for f in out)
            i += args.clients

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(args.clients)))
    elapsed = time.perf_counter() - start
    results["frames_per_s"] = len(latencies) * args.batch / elapsed
    results["resolved_share"] = resolved / (len(latencies) * args.batch)
    results["batch_p50_ms"] = statistics.median(latencies) * 1000
    results["batch_p99_ms"] = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", default="monaco", choices=[m.name for m in MAPS])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--index-processes", type=int, default=1)
    args = parser.parse_args()
    r = asyncio.run(run(args))
    print(f"worker processing (parse + scopes + store index): {r['worker_processing_s']:.2f} s, "
          f"index {r['index_bytes'] / 1e6:.1f} MB")
    print(f"first resolution after upload, from the stored index: {r['first_from_stored_index_s'] * 1000:.0f} ms")
    print(f"first resolution after upload, parsing the raw map:   {r['first_from_raw_map_s'] * 1000:.0f} ms "
          f"({r['first_from_raw_map_s'] / r['first_from_stored_index_s']:.1f}x slower)")
    print(f"warm cache: {r['frames_per_s']:.0f} frames/s over HTTP (batches of {args.batch}, "
          f"{args.clients} in flight; batch p50 {r['batch_p50_ms']:.1f} ms, p99 {r['batch_p99_ms']:.1f} ms; "
          f"{r['resolved_share']:.0%} resolved)")


if __name__ == "__main__":
    main()
