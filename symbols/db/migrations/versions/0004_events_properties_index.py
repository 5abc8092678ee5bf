"""Events: a GIN (jsonb_path_ops) index on properties, PostgreSQL only, so property
equality filters (JSONB containment) of the events list never scan a project's events.

Revision ID: 0004_events_properties_index
Revises: 0003_error_tracking
"""

from alembic import op

revision = "0004_events_properties_index"
down_revision = "0003_error_tracking"
branch_labels = None
depends_on = None

INDEX = "ix_events_properties_gin"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        INDEX, "events", ["properties"], postgresql_using="gin",
        postgresql_ops={"properties": "jsonb_path_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="events")
