"""The metadata schema (SQLAlchemy Core). Alembic migrations create it; keep both in step.

``team_id`` columns name the project, as PostHog's API does.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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
    UniqueConstraint("team_id", "ref", name="uq_symbol_sets_team_ref"),
    Index("ix_symbol_sets_team_created", "team_id", "created_at"),
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
