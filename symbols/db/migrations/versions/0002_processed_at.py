"""Symbol sets record when their lookup index was built (``processed_at``).

Revision ID: 0002_processed_at
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_processed_at"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("symbol_sets") as batch:
        batch.add_column(sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("symbol_sets") as batch:
        batch.drop_column("processed_at")
