"""Symbol sets: the URL their script is served at (``~/path`` matches any scheme and
host), so frames that name scripts by URL find their set.

Revision ID: 0005_symbol_set_url
Revises: 0004_events_properties_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_symbol_set_url"
down_revision = "0004_events_properties_index"
branch_labels = None
depends_on = None

INDEX = "ix_symbol_sets_team_url"


def upgrade() -> None:
    with op.batch_alter_table("symbol_sets") as batch:
        batch.add_column(sa.Column("url", sa.String(1000), nullable=True))
    op.create_index(INDEX, "symbol_sets", ["team_id", "url"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="symbol_sets")
    with op.batch_alter_table("symbol_sets") as batch:
        batch.drop_column("url")
