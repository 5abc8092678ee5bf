"""Events: a GIN (jsonb_path_ops) index and statistics for each exception list property,
and a larger statistics sample of ``properties``; PostgreSQL only (SQLite has neither).

A filter on ``$exception_types`` (and the other lists) is containment on the list itself,
``(properties -> key) @> [value]``. The index serves a rare value; it holds only the
events that have the list (the others cost an insert nothing). The statistics on the
expression keep its most common lists, so the planner knows a common type (1% of events)
is found sooner by walking (project_id, timestamp) than by fetching all its matches.
The other estimates come from histograms (of each list, and of ``properties`` for other
keys), 1,001 entries instead of 101: a value that happens to be an entry is taken for
0.1% of the rows, not 1%, which would send a rare message's filter walking millions of
rows. Statistics on an expression need PostgreSQL 14; older servers get the indexes only.

Revision ID: 0009_events_array_indexes
Revises: 0008_fetch_settings_sealed
"""

from alembic import op

revision = "0009_events_array_indexes"
down_revision = "0008_fetch_settings_sealed"
branch_labels = None
depends_on = None

# Kept here, not imported: a migration describes the schema as it was at this revision.
KEYS = ("exception_types", "exception_values", "exception_sources", "exception_functions")
TARGET = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for key in KEYS:
        expression = f"(properties -> '${key}')"
        op.execute(f"CREATE INDEX ix_events_{key} ON events USING gin ({expression} jsonb_path_ops)"
                   f" WHERE {expression} IS NOT NULL")
        if bind.dialect.server_version_info >= (14,):
            op.execute(f"CREATE STATISTICS st_events_{key} ON ({expression}) FROM events")
            op.execute(f"ALTER STATISTICS st_events_{key} SET STATISTICS {TARGET}")
    op.execute(f"ALTER TABLE events ALTER COLUMN properties SET STATISTICS {TARGET}")
    op.execute("ANALYZE events")  # the planner reads the new statistics from now on


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events ALTER COLUMN properties SET STATISTICS -1")
    for key in KEYS:
        op.execute(f"DROP STATISTICS IF EXISTS st_events_{key}")
        op.drop_index(f"ix_events_{key}", table_name="events")
