"""Settings.from_env: every variable in the table, its parsed value and its bad values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from symbols.config import SETTINGS_FROM_ENV, ConfigError, Settings

# A good raw value for each variable and what it becomes.
GOOD = {
    "SYMBOLS_BIND_HOST": ("0.0.0.0", "0.0.0.0"),
    "SYMBOLS_PORT": ("9000", 9000),
    "SYMBOLS_READ_TIMEOUT_SECONDS": ("5", 5.0),
    "SYMBOLS_MAX_CONNECTIONS": ("200", 200),
    "SYMBOLS_ALLOWED_HOSTS": ("Symbols.internal, [::1]", ("symbols.internal", "::1")),
    "SYMBOLS_DATA_DIR": ("/srv/symbols", Path("/srv/symbols")),
    "SYMBOLS_DATABASE_URL": ("postgresql://u@db/s", "postgresql+asyncpg://u@db/s"),
    "SYMBOLS_STORAGE_URL": ("s3://maps/prod", "s3://maps/prod"),
    "SYMBOLS_S3_ENDPOINT_URL": ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    "SYMBOLS_S3_REGION": ("eu-west-1", "eu-west-1"),
    "SYMBOLS_S3_ADDRESSING_STYLE": ("virtual", "virtual"),
    "SYMBOLS_UPLOAD_PROXY": ("yes", True),
    "SYMBOLS_PUBLIC_URL": ("https://symbols.example.com/", "https://symbols.example.com"),
    "SYMBOLS_SECRET_KEY": ("k" * 32, "k" * 32),
    "SYMBOLS_MAX_UPLOAD_BYTES": ("1048576", 1048576),
    "SYMBOLS_PRESIGN_EXPIRY_SECONDS": ("60", 60),
    "SYMBOLS_BLOB_THREADS": ("2", 2),
    "SYMBOLS_CACHE_BYTES": ("0", 0),
    "SYMBOLS_LOG_LEVEL": ("debug", "DEBUG"),
    "SYMBOLS_EMBEDDED_WORKER": ("0", False),
    "SYMBOLS_BOOTSTRAP": ("false", False),
    "SYMBOLS_WORKER_CONCURRENCY": ("4", 4),
    "SYMBOLS_JOB_LEASE_SECONDS": ("2.5", 2.5),
    "SYMBOLS_JOB_POLL_SECONDS": ("0", 0.0),
    "SYMBOLS_JOB_RETRY_BASE_SECONDS": ("1", 1.0),
    "SYMBOLS_JOB_RETRY_MAX_SECONDS": ("60", 60.0),
    "SYMBOLS_INDEX_PROCESSES": ("0", 0),
    "SYMBOLS_WORKER_METRICS_PORT": ("9464", 9464),
    "SYMBOLS_STREAM_URL": ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    "SYMBOLS_PIPELINE": ("off", False),
    "SYMBOLS_PIPELINE_BATCH": ("50", 50),
    "SYMBOLS_PIPELINE_LEASE_SECONDS": ("30", 30.0),
    "SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS": ("0", 0.0),
    "SYMBOLS_API_KEY_CACHE_SECONDS": ("2.5", 2.5),
    "SYMBOLS_EVENT_RETENTION_DAYS": ("30", 30),
    "SYMBOLS_JOB_TIMEOUT_SECONDS": ("120", 120.0),
    "SYMBOLS_INDEX_TIMEOUT_SECONDS": ("30.5", 30.5),
    "SYMBOLS_INDEX_MEMORY_BYTES": ("0", 0),
    "SYMBOLS_INTEGRATION_HOSTS": (" GitLab.example.com, 10.0.0.5:8080,", ("gitlab.example.com", "10.0.0.5:8080")),
    "SYMBOLS_FETCH_TEST_NETWORKS": ("127.0.0.1/32, ::1", ("127.0.0.1/32", "::1")),
}

# Values each variable must refuse with a ConfigError that names it.
BAD = {
    "SYMBOLS_BIND_HOST": ["local\0host"],
    "SYMBOLS_READ_TIMEOUT_SECONDS": ["0", "slow"],
    "SYMBOLS_MAX_CONNECTIONS": ["0", "lots"],
    "SYMBOLS_ALLOWED_HOSTS": ["https://symbols.internal", "a b"],
    "SYMBOLS_PORT": ["eighty", "-1", "65536", "1e3", "²", "8_000"],
    "SYMBOLS_DATA_DIR": ["da\0ta"],
    "SYMBOLS_DATABASE_URL": ["sqlite:///da\0ta.db"],
    "SYMBOLS_STORAGE_URL": ["blo\0bs"],
    "SYMBOLS_S3_ENDPOINT_URL": ["127.0.0.1:9000", "ftp://s3"],
    "SYMBOLS_S3_REGION": ["eu\0"],
    "SYMBOLS_S3_ADDRESSING_STYLE": ["host", "PATH"],
    "SYMBOLS_UPLOAD_PROXY": ["maybe", "2"],
    "SYMBOLS_PUBLIC_URL": ["symbols.example.com", "https://"],
    "SYMBOLS_SECRET_KEY": ["se\0cret"],
    "SYMBOLS_MAX_UPLOAD_BYTES": ["0", "big", "1.5"],
    "SYMBOLS_PRESIGN_EXPIRY_SECONDS": ["0", "soon"],
    "SYMBOLS_BLOB_THREADS": ["0", "many"],
    "SYMBOLS_CACHE_BYTES": ["-1", "1GiB"],
    "SYMBOLS_LOG_LEVEL": ["LOUD", "5"],
    "SYMBOLS_EMBEDDED_WORKER": ["perhaps"],
    "SYMBOLS_BOOTSTRAP": ["y"],
    "SYMBOLS_WORKER_CONCURRENCY": ["0", "two"],
    "SYMBOLS_JOB_LEASE_SECONDS": ["0", "nan", "inf", "soon"],
    "SYMBOLS_JOB_POLL_SECONDS": ["-1", "nan", "inf"],
    "SYMBOLS_JOB_RETRY_BASE_SECONDS": ["-0.5", "x"],
    "SYMBOLS_JOB_RETRY_MAX_SECONDS": ["-1", "forever"],
    "SYMBOLS_INDEX_PROCESSES": ["-1", "all"],
    "SYMBOLS_WORKER_METRICS_PORT": ["0", "65536", "metrics"],
    "SYMBOLS_STREAM_URL": ["kafka://broker", "127.0.0.1:6379", "redis://"],
    "SYMBOLS_PIPELINE": ["sometimes"],
    "SYMBOLS_PIPELINE_BATCH": ["0", "all"],
    "SYMBOLS_PIPELINE_LEASE_SECONDS": ["0.5", "nan"],
    "SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS": ["-1", "a while"],
    "SYMBOLS_API_KEY_CACHE_SECONDS": ["-1", "soon"],
    "SYMBOLS_EVENT_RETENTION_DAYS": ["0", "forever"],
    "SYMBOLS_JOB_TIMEOUT_SECONDS": ["-1", "an hour"],
    "SYMBOLS_INDEX_TIMEOUT_SECONDS": ["-5", "inf"],
    "SYMBOLS_INDEX_MEMORY_BYTES": ["-1", "2GiB"],
    "SYMBOLS_INTEGRATION_HOSTS": ["https://gitlab.example.com", "a b", "user@host"],
    "SYMBOLS_FETCH_TEST_NETWORKS": ["10.0.0.0/8", "0.0.0.0/0", "localhost"],
}

NAMES = [var.name for var in SETTINGS_FROM_ENV]


def test_the_table_covers_every_field_once() -> None:
    fields = [var.field for var in SETTINGS_FROM_ENV]
    assert len(set(fields)) == len(fields) and len(set(NAMES)) == len(NAMES)
    assert set(fields) == {f.name for f in dataclasses.fields(Settings)}
    assert set(GOOD) == set(BAD) == set(NAMES)  # a new variable needs its values here


def test_unset_and_empty_keep_the_defaults() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env(dict.fromkeys(NAMES, "")) == Settings()


@pytest.mark.parametrize("name", NAMES)
def test_good_value(name: str) -> None:
    [var] = [v for v in SETTINGS_FROM_ENV if v.name == name]
    raw, expected = GOOD[name]
    assert getattr(Settings.from_env({name: raw}), var.field) == expected


@pytest.mark.parametrize(("name", "raw"), [(n, raw) for n in NAMES for raw in BAD[n]])
def test_bad_value_is_a_config_error_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({name: raw})
    assert str(raised.value).startswith(f"{name} must ")
