"""Events: a trigram index of the exception messages, so a substring filter on
``$exception_values`` (``icontains``) finds rare or absent text without walking the time
range; PostgreSQL with the ``pg_trgm`` extension only.

The index holds ``lower((properties -> '$exception_values')::text)`` of the events that
have the list; the events list adds that expression as a pre-filter (``event_filters``),
which the planner serves from this index when the text is rare and ignores when walking
(project_id, timestamp) finds a page sooner: statistics on the expression (PostgreSQL
14+) tell it which. ``pg_trgm`` ships with PostgreSQL and is a trusted extension (13+):
the database's owner may create it. Where it cannot be created, the migration says so
and goes on without the index: the filters answer the same, by walking. To add it
later, create the extension (``CREATE EXTENSION pg_trgm``) and run this migration's
statements by hand.

Revision ID: 0010_exception_values_trigrams
Revises: 0009_events_array_indexes
"""

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0010_exception_values_trigrams"
down_revision = "0009_events_array_indexes"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Kept here, not imported: a migration describes the schema as it was at this revision.
LIST = "(properties -> '$exception_values')"
INDEX = "ix_events_exception_values_trgm"
STATISTICS = "st_events_exception_values_text"
TARGET = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm cannot be created here (%s): no trigram index of exception messages; "
                    "substring filters on $exception_values walk the time range", exc.orig)
        return
    op.execute(f"CREATE INDEX {INDEX} ON events USING gin ((lower({LIST}::text)) gin_trgm_ops)"
               f" WHERE {LIST} IS NOT NULL")
    if bind.dialect.server_version_info >= (14,):
        # A partial index's expression gets no statistics of its own: without these the
        # planner guesses how common a text is, and fetches 400,000 matches of a common one.
        op.execute(f"CREATE STATISTICS {STATISTICS} ON (lower({LIST}::text)) FROM events")
        op.execute(f"ALTER STATISTICS {STATISTICS} SET STATISTICS {TARGET}")
    op.execute("ANALYZE events")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
