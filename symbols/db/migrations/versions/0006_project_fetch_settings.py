"""Projects: the setting that lets the service fetch scripts and maps nobody uploaded
(allowed domains, an optional auth header).

Revision ID: 0006_project_fetch_settings
Revises: 0005_symbol_set_url
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_project_fetch_settings"
down_revision = "0005_symbol_set_url"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_fetch_settings",
        sa.Column("team_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("allowed_domains", sa.Text, nullable=False),
        sa.Column("auth_header_name", sa.String(200), nullable=True),
        sa.Column("auth_header_value", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_fetch_settings")
