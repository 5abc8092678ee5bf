"""Alembic migrations, run programmatically (``symbols migrate`` and at ``serve`` start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .engine import Database, DatabaseUnavailable, open_database, sqlite_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Serialises concurrent migrators (service and workers starting together) on PostgreSQL.
_PG_LOCK_ID = 0x53594D42


def _config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    command.upgrade(_config(connection), "head")


def _is_current(connection) -> bool:
    head = ScriptDirectory.from_config(_config(connection)).get_current_head()
    return MigrationContext.configure(connection).get_current_revision() == head


async def migrate(db: Database) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already).

    Raises DatabaseUnavailable when the database cannot be reached or opened: the first
    thing every command does, so that is where "wrong URL / server down" surfaces."""
    try:
        async with db.begin() as conn:
            await conn.run_sync(_upgrade)
    except (DBAPIError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise DatabaseUnavailable(f"cannot use the database {db.url}: {reason}") from exc


async def is_current(db: Database) -> bool:
    async with db.connect() as conn:
        return await conn.run_sync(_is_current)


async def run_migrated(url: str, work):
    """Open the database at ``url``, migrate it, await ``work(db)``, close it."""
    db = open_database(url)
    try:
        await migrate(db)
        return await work(db)
    finally:
        await db.close()


async def run_existing(url: str, work):
    """``run_migrated`` for a database that exists already: the admin commands never
    create one (run from the wrong folder they would print keys no server accepts)."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise DatabaseUnavailable(
            f"no database at {path.resolve()}: run this where `symbols serve` runs (same "
            "SYMBOLS_DATA_DIR or SYMBOLS_DATABASE_URL), or create it with `symbols migrate`"
        )
    return await run_migrated(url, work)
