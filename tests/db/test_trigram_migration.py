"""Revision 0010 where ``pg_trgm`` cannot be created (a role without CREATE on its
database): the migration completes without the trigram index, and substring filters on
the exception messages answer the same, by walking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import text

from symbols.db import is_current, migrate, open_database
from symbols.db.access import create_project
from symbols.db.event_filters import PropertyTest
from symbols.db.event_queries import EventQuery, list_events
from symbols.db.events import EventRow, insert_events
from tests.databases import PG_ADMIN_URL, create_pg_database, drop_pg_database, run_sync


async def _as_admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def unprivileged_url():
    """A new database and a role that may create tables in it, not extensions."""
    try:
        url = create_pg_database()
    except (TimeoutError, OSError) as exc:
        pytest.skip(f"PostgreSQL not reachable ({exc})")
    role = f"symbols_noext_{uuid.uuid4().hex[:8]}"
    run_sync(_as_admin(PG_ADMIN_URL, f"CREATE ROLE {role} LOGIN NOSUPERUSER"))
    run_sync(_as_admin(url, f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
    host, name = url.split("@", 1)[1].rsplit("/", 1)
    yield f"postgresql://{role}@{host}/{name}"
    drop_pg_database(url)
    run_sync(_as_admin(PG_ADMIN_URL, f"DROP ROLE IF EXISTS {role}"))


async def test_without_pg_trgm_the_migration_goes_on_and_filters_still_answer(unprivileged_url):
    db = open_database(unprivileged_url)
    try:
        await migrate(db)
        assert await is_current(db)
        async with db.connect() as conn:
            indexes = {r[0] for r in await conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'events'"))}
            extensions = {r[0] for r in await conn.execute(text("SELECT extname FROM pg_extension"))}
        assert "ix_events_exception_values" in indexes  # 0009's, so the migrations did run
        assert "ix_events_exception_values_trgm" not in indexes and "pg_trgm" not in extensions

        at = datetime.now(UTC)
        async with db.begin() as conn:
            team = (await create_project(conn, "web")).id
            wanted, other = (EventRow(team, str(uuid.uuid4()), "$exception", "u", at, {"$exception_values": [v]})
                             for v in ("Loading chunk 7 failed", "x is not a function"))
            await insert_events(conn, [wanted, other])
        query = EventQuery(team, 100, condition=PropertyTest(("$exception_values",), "icontains", "CHUNK 7",
                                                             per_element=True))
        async with db.connect() as conn:
            assert [r.uuid for r in await list_events(conn, query)] == [wanted.uuid]
    finally:
        await db.close()
