"""Metadata database: SQLAlchemy Core tables, queries and Alembic migrations.

Open with ``open_database(settings.database_url)``, then ``await migrate(db)``. Queries
take an ``AsyncConnection`` from ``db.begin()`` (write transaction) or ``db.connect()``.
"""

from .engine import (
    Connection,
    Database,
    DatabaseUnavailable,
    InvalidData,
    WriteConflict,
    open_database,
)
from .jobs import PROCESS_SYMBOL_SET, enqueue_job, enqueue_symbol_set_processing
from .migrate import is_current, migrate
from .symbol_sets import SymbolSet, get_symbol_set, set_failure_reason, touch_last_used

__all__ = [
    "PROCESS_SYMBOL_SET",
    "Connection",
    "Database",
    "DatabaseUnavailable",
    "InvalidData",
    "SymbolSet",
    "WriteConflict",
    "enqueue_job",
    "enqueue_symbol_set_processing",
    "get_symbol_set",
    "is_current",
    "migrate",
    "open_database",
    "set_failure_reason",
    "touch_last_used",
]
