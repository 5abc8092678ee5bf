"""INSERT ... ON CONFLICT for both databases (SQLAlchemy has a dialect-specific form each)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _dialect(conn: AsyncConnection):
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def insert_ignoring_conflicts(conn: AsyncConnection, table: Table):
    """An INSERT that skips rows colliding with a unique key (``ON CONFLICT DO NOTHING``)."""
    return _dialect(conn).insert(table).on_conflict_do_nothing()


def insert_replacing_conflicts(conn: AsyncConnection, table: Table, keys: Sequence[str], columns: Sequence[str]):
    """An INSERT that overwrites ``columns`` of a row colliding on ``keys`` (one statement,
    so concurrent writers of one key never fail on the unique key)."""
    statement = _dialect(conn).insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
    )


def insert_or_increment(conn: AsyncConnection, table: Table, key: str, column: str):
    """An INSERT of ``{key, column: 1}`` that adds 1 to ``column`` when the key exists."""
    statement = _dialect(conn).insert(table)
    return statement.on_conflict_do_update(index_elements=[key], set_={column: table.c[column] + 1})
