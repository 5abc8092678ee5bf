"""INSERT ... ON CONFLICT for both databases (SQLAlchemy has a dialect-specific form each)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignoring_conflicts(conn: AsyncConnection, table: Table):
    """An INSERT that skips rows colliding with a unique key (``ON CONFLICT DO NOTHING``)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
