"""Initial schema: projects, API keys, releases, symbol sets, jobs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        ts("created_at"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.String(400), nullable=False),
        ts("created_at"),
        ts("last_used_at", nullable=True),
        ts("revoked_at", nullable=True),
    )
    op.create_table(
        "api_key_projects",
        sa.Column(
            "api_key_id", sa.Integer, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("hash_id", sa.String(128), nullable=False),
        sa.Column("version", sa.String(400), nullable=False),
        sa.Column("project", sa.String(400), nullable=False),
        sa.Column("metadata", sa.Text, nullable=True),
        ts("created_at"),
        sa.UniqueConstraint("team_id", "hash_id", name="uq_releases_team_hash"),
    )
    op.create_table(
        "symbol_sets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ref", sa.String(400), nullable=False),
        sa.Column("storage_ptr", sa.String(512), nullable=True),
        sa.Column("content_hash", sa.String(128), nullable=True),
        sa.Column("failure_reason", sa.Text, nullable=True),
        ts("created_at"),
        ts("last_used", nullable=True),
        sa.Column(
            "release_id", sa.String(36), sa.ForeignKey("releases.id", ondelete="SET NULL"), nullable=True
        ),
        ts("uploaded_at", nullable=True),
        sa.Column("size_bytes", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("team_id", "ref", name="uq_symbol_sets_team_ref"),
    )
    op.create_index("ix_symbol_sets_team_created", "symbol_sets", ["team_id", "created_at"])
    op.create_table(
        "jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
        ts("run_after"),
        ts("lease_expires_at", nullable=True),
        sa.Column("locked_by", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        ts("created_at"),
        ts("updated_at"),
    )
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state_run_after", table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_symbol_sets_team_created", table_name="symbol_sets")
    op.drop_table("symbol_sets")
    op.drop_table("releases")
    op.drop_table("api_key_projects")
    op.drop_table("api_keys")
    op.drop_table("projects")
