"""The metadata schema (SQLAlchemy Core). Alembic migrations create it; keep both in step.

``team_id`` columns name the project, as PostHog's API does.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    false,
    func,
    literal_column,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from .types import UTCDateTime, UUIDString

metadata = MetaData()

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The public project token (phc_...) SDKs capture with; not a secret, never a key.
    Column("api_token", String(64), nullable=True, unique=True),
)

# A project's permission to fetch scripts and maps nobody uploaded (no row: never set).
project_fetch_settings = Table(
    "project_fetch_settings",
    metadata,
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    # Off keeps the domains and the header for when it is turned on again.
    Column("enabled", Boolean, nullable=False, server_default=true()),
    # Space-separated host names; their subdomains are allowed too.
    Column("allowed_domains", Text, nullable=False),
    # An optional header sent with every fetch (e.g. to a staging CDN behind auth); its
    # value sealed (symbols.sealing, FETCH_HEADERS), never stored as given.
    Column("auth_header_name", String(200), nullable=True),
    Column("auth_header_sealed", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(200), nullable=False),
    # SHA-256 hex of the secret; the secret itself is never stored.
    Column("secret_hash", String(64), nullable=False, unique=True),
    # Comma-separated scopes, e.g. "error_tracking:read,error_tracking:write".
    Column("scopes", String(400), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

api_key_projects = Table(
    "api_key_projects",
    metadata,
    Column("api_key_id", Integer, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
)

releases = Table(
    "releases",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("hash_id", String(128), nullable=False),
    Column("version", String(400), nullable=False),
    # The release's own project name (e.g. the package), not the symbols project.
    Column("project", String(400), nullable=False),
    Column("metadata", Text, nullable=True),  # JSON text
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "hash_id", name="uq_releases_team_hash"),
)

symbol_sets = Table(
    "symbol_sets",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    # The chunk id (or script URL) frames name the symbol set by.
    Column("ref", String(400), nullable=False),
    # Blob key; the index is stored at "{storage_ptr}.index".
    Column("storage_ptr", String(512), nullable=True),
    # SHA-512 hex of the stored bytes; null until the upload is confirmed.
    Column("content_hash", String(128), nullable=True),
    # JSON text of a typed error, e.g. {"JavaScript":{"InvalidSourceMap":"..."}}.
    Column("failure_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used", UTCDateTime, nullable=True),
    Column("release_id", UUIDString(), ForeignKey("releases.id", ondelete="SET NULL"), nullable=True),
    # When the blob was confirmed (direct upload or finish_upload), and its size.
    Column("uploaded_at", UTCDateTime, nullable=True),
    Column("size_bytes", BigInteger, nullable=True),
    # When the worker (or an on-demand build) stored the index of the current blob.
    Column("processed_at", UTCDateTime, nullable=True),
    # The URL the script is served at (``--url-prefix`` + its path); ``~/path`` matches
    # any scheme and host (sentry-cli's convention).
    Column("url", String(1000), nullable=True),
    UniqueConstraint("team_id", "ref", name="uq_symbol_sets_team_ref"),
    Index("ix_symbol_sets_team_created", "team_id", "created_at"),
    Index("ix_symbol_sets_team_url", "team_id", "url"),
)

JOB_STATES = ("queued", "running", "done", "dead")

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # JSON text, e.g. {"symbol_set_id": "..."}
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("state", String(16), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="5"),
    Column("run_after", UTCDateTime, nullable=False),
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("locked_by", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_jobs_state_run_after", "state", "run_after"),
)

# ---- Error tracking (capture, events, issues, rules) ---------------------------------
# JSON documents: JSONB on PostgreSQL (indexable), JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")

# People who can be assignees (PostHog's user ids are integers, role ids UUIDs).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# The durable capture stream of the database backend: one row per acknowledged event
# until the pipeline has stored it. A consumer leases rows (locked_by, lease_expires_at)
# and deletes them in the transaction that stores their events.
capture_stream = Table(
    "capture_stream",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("event_uuid", UUIDString(), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # orjson of the captured event
    Column("enqueued_at", UTCDateTime, nullable=False),
    Column("locked_by", String(64), nullable=True),
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    UniqueConstraint("project_id", "event_uuid", name="uq_capture_stream_event"),
)

events = Table(
    "events",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("uuid", UUIDString(), primary_key=True),
    Column("event", String(400), nullable=False),
    Column("distinct_id", String(200), nullable=False),
    Column("person_id", UUIDString(), nullable=True),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("properties", Json, nullable=False),
    Column("elements_chain", Text, nullable=True),
    # For $exception events: the issue the pipeline linked the event to.
    Column("issue_id", UUIDString(), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_events_project_timestamp", "project_id", "timestamp", "uuid"),
    Index("ix_events_project_event_timestamp", "project_id", "event", "timestamp"),
    Index("ix_events_project_distinct_timestamp", "project_id", "distinct_id", "timestamp"),
    Index("ix_events_project_issue_timestamp", "project_id", "issue_id", "timestamp"),
    # Property equality filters (JSONB containment), PostgreSQL only (migration 0004).
    Index(
        "ix_events_properties_gin", "properties", postgresql_using="gin",
        postgresql_ops={"properties": "jsonb_path_ops"},
    ).ddl_if(dialect="postgresql"),
    # Substring filters on the exception messages, PostgreSQL with pg_trgm only (migration
    # 0010 leaves it out without the extension): ``exception_values_text`` below, written
    # as PostgreSQL writes it back, for alembic's comparison.
    Index(
        "ix_events_exception_values_trgm", literal_column("lower((properties -> '$exception_values')::text)")
        .label("text"), postgresql_using="gin", postgresql_ops={"text": "gin_trgm_ops"},
        postgresql_where=text("(properties -> '$exception_values') IS NOT NULL"),
    ).ddl_if(dialect="postgresql"),
)
# The exception lists as expressions (``properties -> key``), PostgreSQL only (migration
# 0009): each has a GIN index of the events that have it, serving the lists' containment
# filters, and statistics of its own (how common each list is; not declarable here).
exception_lists = {
    key: events.c.properties.op("->")(literal_column(f"'{key}'"))
    for key in ("$exception_types", "$exception_values", "$exception_sources", "$exception_functions")
}
for _key, _list in exception_lists.items():
    Index(f"ix_events_{_key[1:]}", _list.label("list"), postgresql_using="gin",
          postgresql_ops={"list": "jsonb_path_ops"},
          postgresql_where=_list.is_not(None)).ddl_if(dialect="postgresql")
# The messages' text, lowercased, for substring filters: a trigram index of it is in
# ``events`` above.
exception_values_text = func.lower(cast(exception_lists["$exception_values"], Text))

persons = Table(
    "persons",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("properties", Json, nullable=False),
    Column("is_identified", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
)

person_distinct_ids = Table(
    "person_distinct_ids",
    metadata,
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("distinct_id", String(200), primary_key=True),
    Column("person_id", UUIDString(), ForeignKey("persons.id", ondelete="CASCADE"), nullable=False),
    Index("ix_person_distinct_ids_person", "person_id"),
)

ISSUE_STATUSES = ("active", "resolved", "archived", "pending_release", "suppressed")

issues = Table(
    "error_tracking_issues",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(32), nullable=False, server_default="active"),
    Column("severity", String(16), nullable=True),
    Column("name", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("state_updated_at", UTCDateTime, nullable=True),
    # Kept up to date by the pipeline in the transaction that stores each event.
    Column("first_seen", UTCDateTime, nullable=True),
    Column("last_seen", UTCDateTime, nullable=True),
    Column("occurrences", BigInteger, nullable=False, server_default="0"),
    Index("ix_issues_team_last_seen", "team_id", "last_seen"),
    Index("ix_issues_team_status_last_seen", "team_id", "status", "last_seen"),
)

issue_fingerprints = Table(
    "error_tracking_issue_fingerprints",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "issue_id", UUIDString(), ForeignKey("error_tracking_issues.id", ondelete="CASCADE"), nullable=False
    ),
    Column("fingerprint", String(400), nullable=False),
    Column("version", BigInteger, nullable=False, server_default="0"),
    Column("first_seen", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "fingerprint", name="uq_issue_fingerprints_team_fingerprint"),
    Index("ix_issue_fingerprints_issue", "issue_id"),
)

issue_assignments = Table(
    "error_tracking_issue_assignments",
    metadata,
    Column(
        "issue_id", UUIDString(), ForeignKey("error_tracking_issues.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("role_id", UUIDString(), ForeignKey("roles.id", ondelete="CASCADE"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Resolved frames by their raw id, served by stack_frames/batch_get. symbol_set_ref names
# the chunk id or URL a frame needed, so a late upload finds the frames to resolve again.
stack_frames = Table(
    "error_tracking_stack_frames",
    metadata,
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("raw_id", String(128), primary_key=True),
    Column("contents", Json, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("context", Json, nullable=True),
    Column("symbol_set_ref", String(400), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_stack_frames_team_ref_resolved", "team_id", "symbol_set_ref", "resolved"),
)

# Events with frames that waited for a symbol set (NoSourcemapUploaded): resolved again,
# and removed from here, when a set with that ref is processed.
frames_awaiting_symbols = Table(
    "error_tracking_frames_awaiting_symbols",
    metadata,
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("ref", String(400), primary_key=True),
    Column("event_uuid", UUIDString(), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)


def _rule_table(name: str, *extra: Column) -> Table:
    """The columns the three rule kinds share (PostHog's models), then their own."""
    return Table(
        name,
        metadata,
        Column("id", UUIDString(), primary_key=True),
        Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        Column("filters", Json, nullable=False),
        Column("order_key", Integer, nullable=False, server_default="0"),
        Column("disabled_data", Json, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        *extra,
        Index(f"ix_{name}_team_order", "team_id", "order_key"),
    )


suppression_rules = _rule_table(
    "error_tracking_suppression_rules",
    Column("sampling_rate", Float, nullable=False, server_default="1.0"),
)
assignment_rules = _rule_table(
    "error_tracking_assignment_rules",
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("role_id", UUIDString(), ForeignKey("roles.id", ondelete="CASCADE"), nullable=True),
)
grouping_rules = _rule_table(
    "error_tracking_grouping_rules",
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("role_id", UUIDString(), ForeignKey("roles.id", ondelete="SET NULL"), nullable=True),
    Column("description", Text, nullable=True),
)

# Bumped in the transaction of every rule change, so workers reload a project's rules
# when the version they cached is behind.
rule_versions = Table(
    "error_tracking_rule_versions",
    metadata,
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default="0"),
)

integrations = Table(
    "integrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("display_name", String(400), nullable=False),
    Column("config", Json, nullable=False),  # what is not secret (repository, hostname, site)
    Column("sensitive_config", Text, nullable=False),  # encrypted with the service's secret
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_integrations_team", "team_id"),
)

external_references = Table(
    "error_tracking_external_references",
    metadata,
    Column("id", UUIDString(), primary_key=True),
    Column("team_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "issue_id", UUIDString(), ForeignKey("error_tracking_issues.id", ondelete="CASCADE"), nullable=False
    ),
    Column("integration_id", Integer, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False),
    Column("external_context", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Reserved before the provider's issue is made, completed after; never listed while pending.
    Column("pending", Boolean, nullable=False, server_default=false()),
    Index("ix_external_references_issue", "issue_id"),
)
