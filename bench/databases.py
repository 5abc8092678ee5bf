"""Scratch databases for the service benchmarks: a SQLite file or a fresh PostgreSQL
database on 127.0.0.1:5432 (``SYMBOLS_TEST_PG_URL``), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

PG_ADMIN = os.environ.get("SYMBOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(kind: str, work: Path) -> AsyncIterator[str]:
    """The URL of an empty database of ``kind`` ("sqlite" in ``work``, or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{work / 'symbols.db'}"
        return
    name = f"symbols_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
