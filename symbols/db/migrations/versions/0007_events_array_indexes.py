"""Events: a GIN (jsonb_path_ops) index on each exception list property, and a larger
statistics sample of ``properties``; PostgreSQL only (SQLite has neither).

A filter on ``$exception_types`` (and the other lists) is containment on the list itself,
``(properties -> key) @> [value]``: the index serves rare values, and ANALYZE keeps the
expression's most common lists, so the planner knows a common type (1% of events) is
found sooner by walking (project_id, timestamp) than by fetching all its matches. The
other estimates come from histograms (of each list, and of ``properties`` for other keys),
1,001 entries instead of 101: a value that happens to be an entry is taken for 0.1% of
the rows, not 1%, which would send a rare message's filter walking millions of rows.

Revision ID: 0007_events_array_indexes
Revises: 0006_project_fetch_settings
"""

from alembic import op

revision = "0007_events_array_indexes"
down_revision = "0006_project_fetch_settings"
branch_labels = None
depends_on = None

# Kept here, not imported: a migration describes the schema as it was at this revision.
ARRAYS = {
    "ix_events_exception_types": "$exception_types",
    "ix_events_exception_values": "$exception_values",
    "ix_events_exception_sources": "$exception_sources",
    "ix_events_exception_functions": "$exception_functions",
}
STATISTICS = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, key in ARRAYS.items():
        op.execute(f"CREATE INDEX {name} ON events USING gin ((properties -> '{key}') jsonb_path_ops)")
        op.execute(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {STATISTICS}")
    op.execute(f"ALTER TABLE events ALTER COLUMN properties SET STATISTICS {STATISTICS}")
    op.execute("ANALYZE events")  # the planner reads the new statistics from now on


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events ALTER COLUMN properties SET STATISTICS -1")
    for name in ARRAYS:
        op.drop_index(name, table_name="events")
