"""External references: a row is reserved (``pending``) before the provider's issue is
created and completed after, so a database fault cannot leave a provider issue with no
reference behind it; pending rows are never listed.

Revision ID: 0007_reference_pending
Revises: 0006_project_fetch_settings
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_reference_pending"
down_revision = "0006_project_fetch_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("error_tracking_external_references",
                  sa.Column("pending", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("error_tracking_external_references") as batch:
        batch.drop_column("pending")
