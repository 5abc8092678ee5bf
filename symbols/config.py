"""Settings from environment variables: the one place that reads ``os.environ``.

Every variable is documented in docs/operations.md with its default. ``Settings.from_env()``
is called once (by the command line) and the object is passed down.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MIB = 1024 * 1024


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


Parser = Callable[[str, str], object]  # (variable name, raw value) -> value or ConfigError


def text(name: str, raw: str) -> str:
    if "\0" in raw:
        raise ConfigError(f"{name} must not contain a NUL character")
    return raw


def path(name: str, raw: str) -> Path:
    return Path(text(name, raw))


def boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def integer(minimum: int = 0, maximum: int | None = None) -> Parser:
    def parse(name: str, raw: str) -> int:
        # Plain ASCII decimals only: int() would also take '²'-like digits and '1_000'.
        digits = raw.strip()
        if not (digits.removeprefix("-").isascii() and digits.removeprefix("-").isdigit()):
            raise ConfigError(f"{name} must be an integer, got {raw!r}")
        value = int(digits)
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, got {value}")
        return value

    return parse


def number(minimum: float = 0.0) -> Parser:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not minimum <= value < float("inf"):
            raise ConfigError(f"{name} must be a finite number of at least {minimum}, got {value}")
        return value

    return parse


def choice(*allowed: str) -> Parser:
    def parse(name: str, raw: str) -> str:
        value = raw.strip()
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return value

    return parse


def upper_choice(*allowed: str) -> Parser:
    inner = choice(*allowed)
    return lambda name, raw: inner(name, raw.upper())


def prefixed(*prefixes: str) -> Parser:
    """A URL with one of ``prefixes`` (its scheme) and something after it."""

    def parse(name: str, raw: str) -> str:
        value = text(name, raw.strip())
        if not any(value.startswith(p) and len(value) > len(p) for p in prefixes):
            raise ConfigError(f"{name} must start with {' or '.join(prefixes)}, got {raw!r}")
        return value

    return parse


addressing_style = choice("path", "virtual", "auto")


def base_url(name: str, raw: str) -> str:
    return str(prefixed("http://", "https://")(name, raw)).rstrip("/")


def host_list(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated ``host`` or ``host:port`` names (no scheme, path or spaces inside)."""
    hosts = tuple(h.strip().lower() for h in text(name, raw).split(",") if h.strip())
    for host in hosts:
        if not host.isascii() or any(c in host for c in "/@ ?#"):
            raise ConfigError(f"{name} must list host or host:port names, got {host!r}")
    return hosts


def loopback_networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated loopback networks (``127.0.0.1/32``, ``::1``); nothing else."""
    networks = tuple(n.strip() for n in text(name, raw).split(",") if n.strip())
    for network in networks:
        try:
            loopback = ipaddress.ip_network(network).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ConfigError(f"{name} must list loopback networks, got {network!r}")
    return networks


def bare_host_list(name: str, raw: str) -> tuple[str, ...]:
    """``host_list`` with IPv6 brackets dropped, as hosts are compared to Host headers."""
    return tuple(h.strip("[]") for h in host_list(name, raw))


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
    # Seconds a process trusts its cached personal API key (its scopes and projects): a
    # revoked key keeps working for up to this long (0: looked up on every request).
    api_key_cache_seconds: float = 5.0
    # Events older than this many days are deleted by the workers (None: kept forever).
    event_retention_days: int | None = None
    # Hosts (host or host:port) the service may call for integrations besides each
    # provider's public API (a self-hosted GitLab or Jira); http:// is allowed for these.
    integration_hosts: tuple[str, ...] = ()
    # For tests only: loopback networks fetching may reach although they are not public
    # (tests serve scripts on 127.0.0.1). Never set it in production.
    fetch_test_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.database_url:
            db_path = (self.data_dir / "symbols.db").as_posix()
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{db_path}")
        else:
            object.__setattr__(self, "database_url", normalize_database_url(self.database_url))
        if not self.storage_url:
            object.__setattr__(self, "storage_url", (self.data_dir / "blobs").as_posix())
        addressing_style("SYMBOLS_S3_ADDRESSING_STYLE", self.s3_addressing_style)

    def host_allowed(self, host: str | None) -> bool:
        """Whether links may be built from a request whose Host header names ``host``."""
        if not host:
            return False
        allowed = {"localhost", "127.0.0.1", "::1", self.host.strip("[]").lower(), *self.allowed_hosts}
        return host.strip("[]").lower() in allowed - {"0.0.0.0", "::", ""}

    def base_url(self, host: str | None, origin: str) -> str | None:
        """The absolute base URL for links in an answer to a request for ``host`` (at ``origin``):
        the public URL when set, else the request's origin if its host is allowed, else None."""
        if self.public_url:
            return self.public_url
        # Never a link to whatever host a client names (SYMBOLS_ALLOWED_HOSTS).
        return origin if self.host_allowed(host) else None

    @property
    def uses_s3(self) -> bool:
        return self.storage_url.startswith("s3://")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        kwargs = {
            var.field: var.parse(var.name, raw)
            for var in SETTINGS_FROM_ENV
            if (raw := env.get(var.name)) not in (None, "")
        }
        return cls(**kwargs)


@dataclass(frozen=True)
class EnvVar:
    name: str
    field: str
    parse: Parser


# Every variable the service reads: name -> Settings field, parser. The defaults are the
# fields' own; each variable is described in docs/operations.md. An unset or empty
# variable keeps the default.
SETTINGS_FROM_ENV = (
    EnvVar("SYMBOLS_BIND_HOST", "host", text),
    EnvVar("SYMBOLS_PORT", "port", integer(0, 65535)),
    EnvVar("SYMBOLS_READ_TIMEOUT_SECONDS", "read_timeout_seconds", number(0.1)),
    EnvVar("SYMBOLS_MAX_CONNECTIONS", "max_connections", integer(1)),
    EnvVar("SYMBOLS_DATA_DIR", "data_dir", path),
    EnvVar("SYMBOLS_DATABASE_URL", "database_url", text),  # its scheme is checked by db
    EnvVar("SYMBOLS_STORAGE_URL", "storage_url", text),
    EnvVar("SYMBOLS_S3_ENDPOINT_URL", "s3_endpoint_url", prefixed("http://", "https://")),
    EnvVar("SYMBOLS_S3_REGION", "s3_region", text),
    EnvVar("SYMBOLS_S3_ADDRESSING_STYLE", "s3_addressing_style", addressing_style),
    EnvVar("SYMBOLS_UPLOAD_PROXY", "upload_proxy", boolean),
    EnvVar("SYMBOLS_PUBLIC_URL", "public_url", base_url),
    EnvVar("SYMBOLS_ALLOWED_HOSTS", "allowed_hosts", bare_host_list),
    EnvVar("SYMBOLS_SECRET_KEY", "secret_key", text),
    EnvVar("SYMBOLS_MAX_UPLOAD_BYTES", "max_upload_bytes", integer(1)),
    EnvVar("SYMBOLS_PRESIGN_EXPIRY_SECONDS", "presign_expiry_seconds", integer(1)),
    EnvVar("SYMBOLS_BLOB_THREADS", "blob_threads", integer(1)),
    EnvVar("SYMBOLS_CACHE_BYTES", "cache_bytes", integer(0)),
    EnvVar("SYMBOLS_LOG_LEVEL", "log_level",
           upper_choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    EnvVar("SYMBOLS_EMBEDDED_WORKER", "embedded_worker", boolean),
    EnvVar("SYMBOLS_BOOTSTRAP", "bootstrap", boolean),
    EnvVar("SYMBOLS_WORKER_CONCURRENCY", "worker_concurrency", integer(1)),
    EnvVar("SYMBOLS_JOB_LEASE_SECONDS", "job_lease_seconds", number(0.01)),
    EnvVar("SYMBOLS_JOB_POLL_SECONDS", "job_poll_seconds", number()),
    EnvVar("SYMBOLS_JOB_RETRY_BASE_SECONDS", "job_retry_base_seconds", number()),
    EnvVar("SYMBOLS_JOB_RETRY_MAX_SECONDS", "job_retry_max_seconds", number()),
    EnvVar("SYMBOLS_INDEX_PROCESSES", "index_processes", integer(0)),
    EnvVar("SYMBOLS_WORKER_METRICS_PORT", "worker_metrics_port", integer(1, 65535)),
    EnvVar("SYMBOLS_STREAM_URL", "stream_url", prefixed("redis://", "rediss://", "unix://")),
    EnvVar("SYMBOLS_PIPELINE", "pipeline", boolean),
    EnvVar("SYMBOLS_PIPELINE_BATCH", "pipeline_batch", integer(1)),
    EnvVar("SYMBOLS_PIPELINE_LEASE_SECONDS", "pipeline_lease_seconds", number(1.0)),
    EnvVar("SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS", "capture_token_cache_seconds", number()),
    EnvVar("SYMBOLS_API_KEY_CACHE_SECONDS", "api_key_cache_seconds", number()),
    EnvVar("SYMBOLS_EVENT_RETENTION_DAYS", "event_retention_days", integer(1)),
    EnvVar("SYMBOLS_JOB_TIMEOUT_SECONDS", "job_timeout_seconds", number()),
    EnvVar("SYMBOLS_INDEX_TIMEOUT_SECONDS", "index_timeout_seconds", number()),
    EnvVar("SYMBOLS_INDEX_MEMORY_BYTES", "index_memory_bytes", integer(0)),
    EnvVar("SYMBOLS_INTEGRATION_HOSTS", "integration_hosts", host_list),
    EnvVar("SYMBOLS_FETCH_TEST_NETWORKS", "fetch_test_networks", loopback_networks),
)


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
