"""Settings from environment variables: the one place that reads ``os.environ``.

Every variable is documented in docs/operations.md with its default. ``Settings.from_env()``
is called once (by the command line) and the object is passed down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MIB = 1024 * 1024


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _int(name: str, raw: str, *, minimum: int = 0) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(name: str, raw: str, *, minimum: float = 0.0) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL (``postgresql://`` -> asyncpg)."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


@dataclass(frozen=True)
class Settings:
    # Where the service listens.
    host: str = "127.0.0.1"
    port: int = 8000
    # A client must send a request's head within this many seconds of its first byte, and
    # its body at 64 KiB or more per this many seconds (symbols/api/guard.py).
    read_timeout_seconds: float = 30.0
    # Open connections the service accepts at once; the next get a 503.
    max_connections: int = 1000
    # Local state for the zero-configuration set-up (SQLite file, blob directory, secret).
    data_dir: Path = Path("data")
    # Metadata database (SQLAlchemy URL; postgresql:// is mapped to asyncpg).
    database_url: str = ""
    # Blob store: a directory path / file:// URL, or s3://bucket/prefix.
    storage_url: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_addressing_style: str = "path"
    # Serve presigned uploads through the service even with S3 (for object stores that
    # clients cannot reach).
    upload_proxy: bool = False
    # Absolute base URL clients use to reach this service (for presigned local URLs);
    # empty means "derive from the request".
    public_url: str = ""
    # Without public_url, host names a request's Host header may carry for the service to
    # build its links (presigned URLs, `next` pages) from it; others get a 400. Beside
    # these: localhost, 127.0.0.1, ::1 and the bind host.
    allowed_hosts: tuple[str, ...] = ()
    # HMAC key for local presigned URLs; empty means a key kept in data_dir/secret_key.
    secret_key: str = ""
    max_upload_bytes: int = 100 * MIB
    presign_expiry_seconds: int = 300
    blob_threads: int = 8
    cache_bytes: int = 256 * MIB
    log_level: str = "INFO"
    # Run a job worker inside the service process (the zero-configuration default).
    embedded_worker: bool = True
    # Create project 1 and print a key when the database is empty.
    bootstrap: bool = True
    # Job worker: jobs run at once per worker process (`symbols worker --concurrency`).
    worker_concurrency: int = 1
    # A claimed job is claimed again by another worker when its worker has not renewed
    # the lease for this long (crashed or killed).
    job_lease_seconds: float = 60.0
    # How often an idle worker looks for new jobs.
    job_poll_seconds: float = 1.0
    # Retry delay after a failed attempt: base * 2^(attempt-1), capped.
    job_retry_base_seconds: float = 5.0
    job_retry_max_seconds: float = 3600.0
    # Processes that build indexes from uploaded maps (0: a thread of the same process).
    index_processes: int = 1
    # Limits of one index build: the child's address space (0: none) and its wall-clock
    # time (0: none); past either the set fails (TooLarge, IndexTimeout), never retried.
    index_memory_bytes: int = 4 * 1024 * MIB
    index_timeout_seconds: float = 120.0
    # A job running longer than this is stopped and counted as a failed attempt (0: none).
    job_timeout_seconds: float = 900.0
    # Port where a standalone `symbols worker` serves /metrics and /healthz (on `host`);
    # None: not served.
    worker_metrics_port: int | None = None
    # The capture stream: empty for the database, or redis://host:port/db (Redis Streams).
    stream_url: str = ""
    # Workers (embedded and `symbols worker`) run the error-tracking pipeline on the stream.
    pipeline: bool = True
    # Events a pipeline consumer takes from the stream at once.
    pipeline_batch: int = 100
    # A batch whose consumer stopped (crash, kill) is handed out again after this long.
    pipeline_lease_seconds: float = 60.0
    # Seconds a process trusts its cached answer for a capture token (a project's phc_...).
    capture_token_cache_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not self.database_url:
            db_path = (self.data_dir / "symbols.db").as_posix()
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{db_path}")
        else:
            object.__setattr__(self, "database_url", normalize_database_url(self.database_url))
        if not self.storage_url:
            object.__setattr__(self, "storage_url", (self.data_dir / "blobs").as_posix())
        if self.s3_addressing_style not in ("path", "virtual", "auto"):
            raise ConfigError(
                "SYMBOLS_S3_ADDRESSING_STYLE must be path, virtual or auto, "
                f"got {self.s3_addressing_style!r}"
            )

    def host_allowed(self, host: str | None) -> bool:
        """Whether links may be built from a request whose Host header names ``host``."""
        if not host:
            return False
        allowed = {"localhost", "127.0.0.1", "::1", self.host.strip("[]").lower(), *self.allowed_hosts}
        return host.strip("[]").lower() in allowed - {"0.0.0.0", "::", ""}

    @property
    def uses_s3(self) -> bool:
        return self.storage_url.startswith("s3://")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        kwargs: dict[str, object] = {}
        if (v := get("SYMBOLS_BIND_HOST")) is not None:
            kwargs["host"] = v
        if (v := get("SYMBOLS_PORT")) is not None:
            kwargs["port"] = _int("SYMBOLS_PORT", v, minimum=0)
        if (v := get("SYMBOLS_READ_TIMEOUT_SECONDS")) is not None:
            kwargs["read_timeout_seconds"] = _float("SYMBOLS_READ_TIMEOUT_SECONDS", v, minimum=0.1)
        if (v := get("SYMBOLS_MAX_CONNECTIONS")) is not None:
            kwargs["max_connections"] = _int("SYMBOLS_MAX_CONNECTIONS", v, minimum=1)
        if (v := get("SYMBOLS_DATA_DIR")) is not None:
            kwargs["data_dir"] = Path(v)
        if (v := get("SYMBOLS_DATABASE_URL")) is not None:
            kwargs["database_url"] = v
        if (v := get("SYMBOLS_STORAGE_URL")) is not None:
            kwargs["storage_url"] = v
        if (v := get("SYMBOLS_S3_ENDPOINT_URL")) is not None:
            kwargs["s3_endpoint_url"] = v
        if (v := get("SYMBOLS_S3_REGION")) is not None:
            kwargs["s3_region"] = v
        if (v := get("SYMBOLS_S3_ADDRESSING_STYLE")) is not None:
            kwargs["s3_addressing_style"] = v
        if (v := get("SYMBOLS_UPLOAD_PROXY")) is not None:
            kwargs["upload_proxy"] = _bool("SYMBOLS_UPLOAD_PROXY", v)
        if (v := get("SYMBOLS_PUBLIC_URL")) is not None:
            kwargs["public_url"] = v.rstrip("/")
        if (v := get("SYMBOLS_ALLOWED_HOSTS")) is not None:
            kwargs["allowed_hosts"] = tuple(h.strip().strip("[]").lower() for h in v.split(",") if h.strip())
        if (v := get("SYMBOLS_SECRET_KEY")) is not None:
            kwargs["secret_key"] = v
        if (v := get("SYMBOLS_MAX_UPLOAD_BYTES")) is not None:
            kwargs["max_upload_bytes"] = _int("SYMBOLS_MAX_UPLOAD_BYTES", v, minimum=1)
        if (v := get("SYMBOLS_PRESIGN_EXPIRY_SECONDS")) is not None:
            kwargs["presign_expiry_seconds"] = _int(
                "SYMBOLS_PRESIGN_EXPIRY_SECONDS", v, minimum=1
            )
        if (v := get("SYMBOLS_BLOB_THREADS")) is not None:
            kwargs["blob_threads"] = _int("SYMBOLS_BLOB_THREADS", v, minimum=1)
        if (v := get("SYMBOLS_CACHE_BYTES")) is not None:
            kwargs["cache_bytes"] = _int("SYMBOLS_CACHE_BYTES", v, minimum=0)
        if (v := get("SYMBOLS_LOG_LEVEL")) is not None:
            kwargs["log_level"] = v.upper()
        if (v := get("SYMBOLS_EMBEDDED_WORKER")) is not None:
            kwargs["embedded_worker"] = _bool("SYMBOLS_EMBEDDED_WORKER", v)
        if (v := get("SYMBOLS_BOOTSTRAP")) is not None:
            kwargs["bootstrap"] = _bool("SYMBOLS_BOOTSTRAP", v)
        if (v := get("SYMBOLS_WORKER_CONCURRENCY")) is not None:
            kwargs["worker_concurrency"] = _int("SYMBOLS_WORKER_CONCURRENCY", v, minimum=1)
        for name, field in (
            ("SYMBOLS_JOB_LEASE_SECONDS", "job_lease_seconds"),
            ("SYMBOLS_JOB_POLL_SECONDS", "job_poll_seconds"),
            ("SYMBOLS_JOB_RETRY_BASE_SECONDS", "job_retry_base_seconds"),
            ("SYMBOLS_JOB_RETRY_MAX_SECONDS", "job_retry_max_seconds"),
            ("SYMBOLS_JOB_TIMEOUT_SECONDS", "job_timeout_seconds"),
            ("SYMBOLS_INDEX_TIMEOUT_SECONDS", "index_timeout_seconds"),
        ):
            if (v := get(name)) is not None:
                kwargs[field] = _float(name, v, minimum=0.01 if field == "job_lease_seconds" else 0.0)
        if (v := get("SYMBOLS_INDEX_PROCESSES")) is not None:
            kwargs["index_processes"] = _int("SYMBOLS_INDEX_PROCESSES", v, minimum=0)
        if (v := get("SYMBOLS_INDEX_MEMORY_BYTES")) is not None:
            kwargs["index_memory_bytes"] = _int("SYMBOLS_INDEX_MEMORY_BYTES", v, minimum=0)
        if (v := get("SYMBOLS_WORKER_METRICS_PORT")) is not None:
            port = _int("SYMBOLS_WORKER_METRICS_PORT", v, minimum=1)
            if port > 65535:
                raise ConfigError(f"SYMBOLS_WORKER_METRICS_PORT must be a port (1-65535), got {port}")
            kwargs["worker_metrics_port"] = port
        if (v := get("SYMBOLS_STREAM_URL")) is not None:
            kwargs["stream_url"] = v
        if (v := get("SYMBOLS_PIPELINE")) is not None:
            kwargs["pipeline"] = _bool("SYMBOLS_PIPELINE", v)
        if (v := get("SYMBOLS_PIPELINE_BATCH")) is not None:
            kwargs["pipeline_batch"] = _int("SYMBOLS_PIPELINE_BATCH", v, minimum=1)
        if (v := get("SYMBOLS_PIPELINE_LEASE_SECONDS")) is not None:
            kwargs["pipeline_lease_seconds"] = _float("SYMBOLS_PIPELINE_LEASE_SECONDS", v, minimum=1.0)
        if (v := get("SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS")) is not None:
            kwargs["capture_token_cache_seconds"] = _float("SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS", v)
        return cls(**kwargs)


DEFAULT_CLIENT_HOST = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ClientSettings:
    """Where the build-pipeline commands (``symbols sourcemap upload``) send symbol sets.

    ``SYMBOLS_HOST``, ``SYMBOLS_PROJECT``, ``SYMBOLS_TOKEN``; PostHog's
    ``POSTHOG_CLI_HOST``, ``POSTHOG_CLI_ENV_ID``, ``POSTHOG_CLI_TOKEN`` are used when the
    first ones are unset. Command-line options override both (``with_overrides``).
    """

    host: str = DEFAULT_CLIENT_HOST
    project: str | None = None
    token: str | None = None

    def with_overrides(self, **changes: object) -> ClientSettings:
        return replace(self, **{k: v for k, v in changes.items() if v not in (None, "")})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        env = os.environ if environ is None else environ

        def first(*names: str) -> str | None:
            for name in names:
                value = env.get(name)
                if value not in (None, ""):
                    return value.strip()
            return None

        return cls(
            host=first("SYMBOLS_HOST", "POSTHOG_CLI_HOST") or DEFAULT_CLIENT_HOST,
            project=first("SYMBOLS_PROJECT", "POSTHOG_CLI_ENV_ID"),
            token=first("SYMBOLS_TOKEN", "POSTHOG_CLI_TOKEN"),
        )
