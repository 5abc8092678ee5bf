"""Test databases: a migrated SQLite template copied per test, and one fresh PostgreSQL
database per session (random name, dropped afterwards) truncated between tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from symbols.db import Database, migrate, open_database
from symbols.db.tables import metadata

PG_ADMIN_URL = os.environ.get("SYMBOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_sync(coro):
    """Run a coroutine to completion from sync code, even inside a running event loop
    (session fixtures may be first requested by an async fixture)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    """The URL of a new, empty PostgreSQL database with a random name."""
    name = f"symbols_test_{uuid.uuid4().hex[:12]}"
    run_sync(_pg_admin(f'CREATE DATABASE "{name}"'))
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(url: str) -> None:
    run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh, migrated PostgreSQL database for this session; skips without a server."""
    try:
        url = create_pg_database()
    except (TimeoutError, OSError, ImportError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc}); PostgreSQL cases skipped")

    async def _migrate() -> None:
        db = open_database(url)
        await migrate(db)
        await db.close()

    run_sync(_migrate())
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def _migrate() -> None:
        db = open_database(f"sqlite+aiosqlite:///{path}")
        await migrate(db)
        await db.close()  # closing the last connection checkpoints the WAL into the file

    run_sync(_migrate())
    return path


async def _truncate(db: Database) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    async with db.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def open_test_database(kind: str, request, tmp_path: Path) -> Database:
    """A migrated, empty database of ``kind`` ("sqlite" or "postgresql") for one test."""
    if kind == "sqlite":
        path = tmp_path / "symbols.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return open_database(f"sqlite+aiosqlite:///{path}")
    db = open_database(request.getfixturevalue("pg_url"))
    await _truncate(db)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path):
    """A migrated, empty metadata database, on each backend."""
    db = await open_test_database(request.param, request, tmp_path)
    yield db
    await db.close()
