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


def _config(connection, secret_key: bytes | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    # For the migrations that seal stored secrets (symbols.sealing).
    cfg.attributes["secret_key"] = secret_key
    return cfg


def _upgrade(connection, secret_key: bytes | None) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    command.upgrade(_config(connection, secret_key), "head")


def _is_current(connection) -> bool:
    head = ScriptDirectory.from_config(_config(connection)).get_current_head()
    return MigrationContext.configure(connection).get_current_revision() == head


async def migrate(db: Database, secret_key: bytes | None = None) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already).
    ``secret_key`` (the service's, ``signing.load_signing_key``) seals secrets stored in
    plain text by older revisions; without it such rows stop the migration.

    Raises DatabaseUnavailable when the database cannot be reached or opened: the first
    thing every command does, so that is where "wrong URL / server down" surfaces."""
    try:
        async with db.begin() as conn:
            await conn.run_sync(_upgrade, secret_key)
    except (DBAPIError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise DatabaseUnavailable(f"cannot use the database {db.url}: {reason}") from exc


async def is_current(db: Database) -> bool:
    async with db.connect() as conn:
        return await conn.run_sync(_is_current)


async def run_migrated(url: str, work, secret_key: bytes | None = None):
    """Open the database at ``url``, migrate it, await ``work(db)``, close it."""
    db = open_database(url)
    try:
        await migrate(db, secret_key)
        return await work(db)
    finally:
        await db.close()


async def run_existing(url: str, work, secret_key: bytes | None = None):
    """``run_migrated`` for a database that exists already: the admin commands never
    create one (run from the wrong folder they would print keys no server accepts)."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise DatabaseUnavailable(
            f"no database at {path.resolve()}: run this where `symbols serve` runs (same "
            "SYMBOLS_DATA_DIR or SYMBOLS_DATABASE_URL), or create it with `symbols migrate`"
        )
    return await run_migrated(url, work, secret_key)
