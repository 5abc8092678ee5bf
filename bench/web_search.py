"""The symbol-set pages' query with tens of thousands of sets: keyset pages against
offset pages (the API's ``limit``/``offset``), first page and deep, and a text search.

    python -m bench.web_search [--sets 50000] [--pg postgresql://postgres@127.0.0.1/DB]

Seeds one project of ``--sets`` sets (5% failed, one release per 100) in a fresh SQLite
file, and in PostgreSQL when ``--pg`` names an empty database. Prints medians of 5 runs
in milliseconds. Numbers depend on the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from symbols.db import migrate, open_database
from symbols.db.access import create_project
from symbols.db.symbol_set_search import Cursor, search_symbol_sets
from symbols.db.symbol_sets import list_symbol_sets
from symbols.db.tables import releases, symbol_sets
from symbols.db.types import new_uuid


async def _seed(db, count: int) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.begin() as conn:
        project = (await create_project(conn, "bench")).id
        rels = [{"id": new_uuid(), "team_id": project, "hash_id": f"h{n}", "version": f"1.{n}.0",
                 "project": "app", "created_at": start} for n in range(count // 100 + 1)]
        await conn.execute(releases.insert(), rels)
        rows = [{
            "id": new_uuid(), "team_id": project, "ref": f"chunk-{n:08}-{new_uuid()}",
            "storage_ptr": f"symbolsets/{project}/{n}", "content_hash": "x" * 128,
            "failure_reason": '{"JavaScript":{"InvalidSourceMap":"x"}}' if n % 20 == 0 else None,
            "created_at": start + timedelta(seconds=n), "uploaded_at": start, "size_bytes": 1000,
            "processed_at": None if n % 20 == 0 else start, "release_id": rels[n // 100]["id"],
        } for n in range(count)]
        for at in range(0, count, 5000):
            await conn.execute(symbol_sets.insert(), rows[at:at + 5000])
    async with db.begin() as conn:
        await conn.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
    return project


async def _median(make) -> float:
    times = []
    for _ in range(5):
        began = time.perf_counter()
        await make()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def _run(url: str, count: int) -> dict[str, float]:
    db = open_database(url)
    await migrate(db)
    project = await _seed(db, count)
    deep = count // 2
    async with db.connect() as conn:
        middle, _ = await list_symbol_sets(conn, project, limit=1, offset=deep - 1)
        cursor = Cursor(middle[0].created_at, middle[0].id)
        cases = {
            "keyset, first page": lambda: search_symbol_sets(conn, project),
            f"keyset, after row {deep}": lambda: search_symbol_sets(conn, project, after=cursor),
            f"offset {deep} (API)": lambda: list_symbol_sets(conn, project, limit=50, offset=deep),
            "search 'chunk-0004'": lambda: search_symbol_sets(conn, project, query="chunk-0004"),
            "status failed": lambda: search_symbol_sets(conn, project, state="failed"),
        }
        out = {name: await _median(make) for name, make in cases.items()}
    await db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=50_000)
    parser.add_argument("--pg", help="URL of an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {"SQLite": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"}
        if args.pg:
            runs["PostgreSQL"] = args.pg
        print(f"{args.sets} symbol sets, one project; median of 5, ms (50 rows a page, with count)")
        for name, url in runs.items():
            for case, ms in asyncio.run(_run(url, args.sets)).items():
                print(f"{name:<11} {case:<26} {ms:8.1f}")


if __name__ == "__main__":
    main()
