"""Opening the metadata database: one ``Database`` per process, passed down.

``db.begin()`` is a write transaction, ``db.connect()`` a read-only one. On SQLite a
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the busy
timeout instead of failing when a read lock is upgraded; WAL lets readers proceed.

Both turn sqlalchemy's errors into this package's own: ``WriteConflict`` (a constraint
refused the write), ``InvalidData`` (the value itself was refused) and
``DatabaseUnavailable`` (any other driver error), so nothing
above ``db`` needs to know sqlalchemy.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..config import ConfigError, normalize_database_url
from . import sqlite_functions

_SQLITE_BUSY_MS = 10_000


# What queries take: a connection from ``db.begin()`` or ``db.connect()``. Domain code
# names it through this alias, so only db/ imports sqlalchemy.
Connection = AsyncConnection


class DatabaseUnavailable(Exception):
    """The database did not answer; the operation may succeed later."""


class WriteConflict(Exception):
    """A unique or foreign key constraint refused a write (often a concurrent request)."""


class InvalidData(Exception):
    """The database refused a value itself (PostgreSQL's SQLSTATE class 22, "data
    exception": a NUL byte in text, a number out of range): the input's fault, not an outage."""


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


@contextlib.asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise WriteConflict(str(exc.orig or exc)) from exc
    except DBAPIError as exc:
        if _sqlstate(exc).startswith("22"):
            raise InvalidData(str(exc.orig or exc)) from exc
        raise DatabaseUnavailable(str(exc.orig or exc)) from exc


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(symbols_write=True)

    @property
    def url(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits without an error."""
        async with _translated(), self._writer.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (its transaction is rolled back at the end)."""
        async with _translated(), self.engine.connect() as conn:
            yield conn

    async def check(self) -> None:
        """Readiness probe: raise DatabaseUnavailable when a trivial query fails."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self.engine.dispose()


def _json_dumps(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (event properties, frames) through orjson: the stdlib encoder was ~10% of
# the pipeline's time.
_JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: another database, or one in memory)."""
    try:
        parsed = make_url(normalize_database_url(url))
    except ArgumentError as exc:
        raise ConfigError(f"SYMBOLS_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def open_database(url: str, *, echo: bool = False) -> Database:
    """A ``Database`` for a SQLAlchemy URL (``postgresql://`` is mapped to asyncpg).

    Does no I/O beyond creating the SQLite file's directory; call ``migrate`` next.
    """
    url = normalize_database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"SYMBOLS_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"SYMBOLS_DATABASE_URL: {parsed.get_backend_name()!r} is not supported "
            "(use sqlite:///path or postgresql://...)"
        )
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"SYMBOLS_DATABASE_URL: cannot create the directory of {parsed.database}: {exc.strerror}"
                ) from None
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": _SQLITE_BUSY_MS / 1000}, **_JSON_CODEC
        )
        _configure_sqlite(engine)
    else:
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True, **_JSON_CODEC)
    return Database(engine)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control from the driver so BEGIN can be chosen below.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        cursor.close()
        sqlite_functions.register(dbapi_conn)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        write = conn.get_execution_options().get("symbols_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
