"""python -m bench.pipeline [--events N] [--batch B] [--db sqlite,postgresql] [--profile]

Pipeline throughput: exception events per second through every stage (pre-process,
resolve, fingerprint, rules hooks, issue linking, output properties, store with the
stream's settle), one consumer process, as the worker runs it.

Each event carries one exception with 10 JavaScript frames in the committed esbuild bundle
(tests/fixtures/build/dist/assets/app.js), all resolvable; 20 exception types give 20
issues. The symbol set is uploaded and resolved once before timing (warm cache). Events
are published to the database stream first (not timed), then drained in batches of
``--batch`` (default 100). PostgreSQL is a fresh database on 127.0.0.1:5432 (dropped
afterwards), SQLite a file in a temporary directory. ``--profile`` runs cProfile over the
drain and prints where the time goes, by area. Nothing is asserted.

Besides wall-clock events/s, it prints events per CPU-second: the consumer process's CPU
time plus, on PostgreSQL, the CPU time of the server backends that served it (read from
/proc). That is the "per core" figure, and it holds on a machine busy with other work.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import os
import pstats
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.databases import scratch_database
from bench.service import own_time_by_area, print_areas
from symbols.db import Database, migrate, open_database
from symbols.db.access import create_project
from symbols.db.symbol_sets import insert_symbol_set
from symbols.errortracking.capture import CapturedEvent
from symbols.errortracking.pipeline import Pipeline
from symbols.errortracking.stream import DatabaseStream
from symbols.resolve import Frame, IndexCache, IndexLoader, Resolver
from symbols.storage import LocalBlobStore
from symbols.symbol_sets.blobs import blob_key
from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder

APP = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "build" / "dist" / "assets" / "app.js"
COLUMNS = [20, 36, 77, 120, 185, 250, 398, 450, 605, 611]  # all on the bundle's one line
TYPES = 20


def event(n: int) -> CapturedEvent:
    frames = [
        {"platform": "web:javascript", "filename": "https://cdn.example.com/assets/app.js", "function": f"f{i}",
         "lineno": 1, "colno": col, "chunk_id": "chunk-app", "in_app": True}
        for i, col in enumerate(COLUMNS)
    ]
    now = datetime.now(UTC)
    props = {
        "$exception_list": [{"type": f"Error{n % TYPES}", "value": f"failure number {n}",
                             "mechanism": {"handled": False, "type": "generic"},
                             "stacktrace": {"type": "raw", "frames": frames}}],
        "$lib": "posthog-js", "$lib_version": "1.200.0", "$current_url": "https://example.com/checkout",
        "$browser": "Chrome", "$os": "Mac OS X", "$session_id": str(uuid.uuid4()),
    }
    return CapturedEvent(str(uuid.uuid4()), "$exception", f"user-{n % 500}", props, now, now)


async def run(kind: str, events: int, batch: int, profile: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    async with scratch_database(kind, work) as url:
        await _run(url, kind, work, events, batch, profile)


@asynccontextmanager
async def bench_project(url: str, work: Path) -> AsyncIterator[tuple[Database, Resolver, int]]:
    """A migrated database with one project whose symbol set is uploaded and resolved once
    (warm cache): ``(db, resolver, project_id)``."""
    db = open_database(url)
    store = LocalBlobStore(work / "blobs")
    builder = IndexBuilder(1)
    resolver = Resolver(db, IndexLoader(db, store, builder, IndexCache(64 << 20)))
    try:
        await migrate(db)
        async with db.begin() as conn:
            project = (await create_project(conn, "bench")).id
        data = pack(APP.with_name("app.js.map").read_bytes(), APP.read_bytes())
        key = blob_key(project)
        await store.put_bytes(key, data)
        async with db.begin() as conn:
            await insert_symbol_set(conn, project_id=project, ref="chunk-app", storage_ptr=key,
                                    content_hash=hashlib.sha512(data).hexdigest(), size_bytes=len(data))
        warm = [Frame("https://cdn.example.com/assets/app.js", "f", 1, 77, True, "chunk-app", "web:javascript")]
        assert (await resolver.resolve(project, warm))[0]["resolved"]
        yield db, resolver, project
    finally:
        builder.close()
        await store.close()
        await db.close()


async def publish(stream: DatabaseStream, project: int, events: int) -> None:
    """``events`` new exception events on the stream (not timed)."""
    for start in range(0, events, 1000):
        chunk = [event(n) for n in range(start, min(events, start + 1000))]
        await stream.publish(project, [(e.uuid, e.to_bytes()) for e in chunk])


async def drain(pipeline: Pipeline, stream: DatabaseStream, batch: int) -> int:
    """Process the stream until it is empty; the events stored."""
    stored = 0
    while True:
        leased = await stream.lease("bench", count=batch, lease_seconds=300)
        if not leased.messages:
            return stored
        stored += (await pipeline.process(leased)).stored


async def _run(url: str, kind: str, work: Path, events: int, batch: int, profile: bool) -> None:
    async with bench_project(url, work) as (db, resolver, project):
        stream = DatabaseStream(db)
        pipeline = Pipeline(db, stream, resolver)
        await publish(stream, project, events)

        profiler = cProfile.Profile() if profile else None
        db_cpu = await _server_cpu(db)
        cpu = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        stored = await drain(pipeline, stream, batch)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        db_cpu = await _server_cpu(db) - db_cpu
        print(f"{kind:<11} {stored:>6} events stored in {elapsed:6.2f} s: {stored / elapsed:8.0f} exception events/s "
              f"(10 JavaScript frames each, batches of {batch})")
        print(f"{'':<11} CPU: consumer {cpu:.2f} s + database server {db_cpu:.2f} s = "
              f"{stored / (cpu + db_cpu):.0f} events per CPU-second (per core, whatever else runs)")
        if profiler:
            _areas(profiler, elapsed)


async def _server_cpu(db) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database (read from
    /proc: the server runs on this machine); 0 for SQLite, which runs in this process."""
    if db.engine.dialect.name != "postgresql":
        return 0.0
    from sqlalchemy import text

    async with db.connect() as conn:
        pids = (await conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))).scalars()
        pids = list(pids)
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


AREAS = [  # first match wins: (label, substring of the function's file path or name)
    ("idle: waiting for the database", "epoll"),
    ("socket writes to the database", "socket"),
    ("sha512 (raw ids, fingerprints)", "_hashlib"),
    ("pipeline: pre-process", "errortracking/preprocess.py"),
    ("pipeline: frames / raw ids", "errortracking/frames.py"),
    ("pipeline: resolve stage", "errortracking/pipeline/resolution.py"),
    ("resolver (lookups, shaping)", "symbols/resolve"),
    ("pipeline: fingerprint", "errortracking/fingerprint.py"),
    ("pipeline: output properties", "errortracking/properties.py"),
    ("pipeline: other stages", "errortracking/pipeline/"),
    ("capture payload decode", "errortracking/capture.py"),
    ("stream (lease/settle)", "capture_stream.py"),
    ("sqlalchemy (compile, execute)", "sqlalchemy"),
    ("asyncpg driver", "asyncpg"),
    ("aiosqlite / sqlite3", "sqlite"),
    ("json (orjson/json)", "json"),
    ("asyncio event loop", "asyncio"),
]


def _areas(profiler: cProfile.Profile, elapsed: float) -> None:
    """Own time (tottime) summed by area: where the consumer's CPU goes."""
    print_areas(own_time_by_area(pstats.Stats(profiler), AREAS), f"profile (own time by area) over {elapsed:.2f} s wall")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    for kind in args.db.split(","):
        asyncio.run(run(kind, args.events, args.batch, args.profile))


if __name__ == "__main__":
    main()
