"""Error tracking: project tokens, users and roles, the capture stream, events and persons,
issues with fingerprints and assignments, stack frames, rules, integrations and external
references.

Revision ID: 0003_error_tracking
Revises: 0002_processed_at
"""

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_error_tracking"
down_revision = "0002_processed_at"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UUID = sa.String(36)


def ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def team(primary_key: bool = False) -> sa.Column:
    fk = sa.ForeignKey("projects.id", ondelete="CASCADE")
    return sa.Column("team_id", sa.Integer, fk, nullable=False, primary_key=primary_key)


def fk(name: str, target: str, type_, ondelete: str = "CASCADE", **kw) -> sa.Column:
    return sa.Column(name, type_, sa.ForeignKey(target, ondelete=ondelete), **kw)


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("api_token", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_projects_api_token", ["api_token"])
    conn = op.get_bind()
    for (project_id,) in conn.execute(sa.text("SELECT id FROM projects")).fetchall():
        conn.execute(
            sa.text("UPDATE projects SET api_token = :t WHERE id = :id"),
            {"t": "phc_" + secrets.token_urlsafe(32), "id": project_id},
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        ts("created_at"),
    )
    op.create_table(
        "roles",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        ts("created_at"),
    )
    op.create_table(
        "capture_stream",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        fk("project_id", "projects.id", sa.Integer, nullable=False),
        sa.Column("event_uuid", UUID, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        ts("enqueued_at"),
        sa.Column("locked_by", sa.String(64), nullable=True),
        ts("lease_expires_at", nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("project_id", "event_uuid", name="uq_capture_stream_event"),
    )
    op.create_table(
        "events",
        fk("project_id", "projects.id", sa.Integer, primary_key=True),
        sa.Column("uuid", UUID, primary_key=True),
        sa.Column("event", sa.String(400), nullable=False),
        sa.Column("distinct_id", sa.String(200), nullable=False),
        sa.Column("person_id", UUID, nullable=True),
        ts("timestamp"),
        sa.Column("properties", Json, nullable=False),
        sa.Column("elements_chain", sa.Text, nullable=True),
        sa.Column("issue_id", UUID, nullable=True),
        ts("created_at"),
    )
    op.create_index("ix_events_project_timestamp", "events", ["project_id", "timestamp", "uuid"])
    op.create_index("ix_events_project_event_timestamp", "events", ["project_id", "event", "timestamp"])
    op.create_index(
        "ix_events_project_distinct_timestamp", "events", ["project_id", "distinct_id", "timestamp"]
    )
    op.create_index("ix_events_project_issue_timestamp", "events", ["project_id", "issue_id", "timestamp"])
    op.create_table(
        "persons",
        sa.Column("id", UUID, primary_key=True),
        team(),
        sa.Column("properties", Json, nullable=False),
        sa.Column("is_identified", sa.Boolean, nullable=False, server_default=sa.false()),
        ts("created_at"),
    )
    op.create_table(
        "person_distinct_ids",
        team(primary_key=True),
        sa.Column("distinct_id", sa.String(200), primary_key=True),
        fk("person_id", "persons.id", UUID, nullable=False),
    )
    op.create_index("ix_person_distinct_ids_person", "person_distinct_ids", ["person_id"])
    op.create_table(
        "error_tracking_issues",
        sa.Column("id", UUID, primary_key=True),
        team(),
        sa.Column("status", sa.String(32), nullable=False, server_default="active"),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        ts("created_at"),
        ts("state_updated_at", nullable=True),
        ts("first_seen", nullable=True),
        ts("last_seen", nullable=True),
        sa.Column("occurrences", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_issues_team_last_seen", "error_tracking_issues", ["team_id", "last_seen"])
    op.create_index(
        "ix_issues_team_status_last_seen", "error_tracking_issues", ["team_id", "status", "last_seen"]
    )
    op.create_table(
        "error_tracking_issue_fingerprints",
        sa.Column("id", UUID, primary_key=True),
        team(),
        fk("issue_id", "error_tracking_issues.id", UUID, nullable=False),
        sa.Column("fingerprint", sa.String(400), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        ts("first_seen", nullable=True),
        ts("created_at"),
        sa.UniqueConstraint("team_id", "fingerprint", name="uq_issue_fingerprints_team_fingerprint"),
    )
    op.create_index("ix_issue_fingerprints_issue", "error_tracking_issue_fingerprints", ["issue_id"])
    op.create_table(
        "error_tracking_issue_assignments",
        fk("issue_id", "error_tracking_issues.id", UUID, primary_key=True),
        fk("user_id", "users.id", sa.Integer, nullable=True),
        fk("role_id", "roles.id", UUID, nullable=True),
        ts("created_at"),
    )
    op.create_table(
        "error_tracking_stack_frames",
        team(primary_key=True),
        sa.Column("raw_id", sa.String(128), primary_key=True),
        sa.Column("contents", Json, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.Column("context", Json, nullable=True),
        sa.Column("symbol_set_ref", sa.String(400), nullable=True),
        ts("created_at"),
    )
    op.create_index(
        "ix_stack_frames_team_ref_resolved",
        "error_tracking_stack_frames",
        ["team_id", "symbol_set_ref", "resolved"],
    )
    op.create_table(
        "error_tracking_frames_awaiting_symbols",
        team(primary_key=True),
        sa.Column("ref", sa.String(400), primary_key=True),
        sa.Column("event_uuid", UUID, primary_key=True),
        ts("created_at"),
    )
    rule_tables = {
        "error_tracking_suppression_rules": [
            sa.Column("sampling_rate", sa.Float, nullable=False, server_default="1.0")
        ],
        "error_tracking_assignment_rules": [
            fk("user_id", "users.id", sa.Integer, nullable=True),
            fk("role_id", "roles.id", UUID, nullable=True),
        ],
        "error_tracking_grouping_rules": [
            fk("user_id", "users.id", sa.Integer, "SET NULL", nullable=True),
            fk("role_id", "roles.id", UUID, "SET NULL", nullable=True),
            sa.Column("description", sa.Text, nullable=True),
        ],
    }
    for name, extra in rule_tables.items():
        op.create_table(
            name,
            sa.Column("id", UUID, primary_key=True),
            team(),
            sa.Column("filters", Json, nullable=False),
            sa.Column("order_key", sa.Integer, nullable=False, server_default="0"),
            sa.Column("disabled_data", Json, nullable=True),
            ts("created_at"),
            ts("updated_at"),
            *extra,
        )
        op.create_index(f"ix_{name}_team_order", name, ["team_id", "order_key"])
    op.create_table(
        "error_tracking_rule_versions",
        team(primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        team(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("config", Json, nullable=False),
        sa.Column("sensitive_config", sa.Text, nullable=False),
        ts("created_at"),
    )
    op.create_index("ix_integrations_team", "integrations", ["team_id"])
    op.create_table(
        "error_tracking_external_references",
        sa.Column("id", UUID, primary_key=True),
        team(),
        fk("issue_id", "error_tracking_issues.id", UUID, nullable=False),
        fk("integration_id", "integrations.id", sa.Integer, nullable=False),
        sa.Column("external_context", Json, nullable=False),
        ts("created_at"),
    )
    op.create_index(
        "ix_external_references_issue", "error_tracking_external_references", ["issue_id"]
    )


def downgrade() -> None:
    for name in (
        "error_tracking_external_references",
        "integrations",
        "error_tracking_rule_versions",
        "error_tracking_grouping_rules",
        "error_tracking_assignment_rules",
        "error_tracking_suppression_rules",
        "error_tracking_frames_awaiting_symbols",
        "error_tracking_stack_frames",
        "error_tracking_issue_assignments",
        "error_tracking_issue_fingerprints",
        "error_tracking_issues",
        "person_distinct_ids",
        "persons",
        "events",
        "capture_stream",
        "roles",
        "users",
    ):
        op.drop_table(name)
    with op.batch_alter_table("projects") as batch:
        batch.drop_constraint("uq_projects_api_token", type_="unique")
        batch.drop_column("api_token")
