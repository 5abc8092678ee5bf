"""Blob storage: the ``BlobStore`` interface and the store chosen by configuration.

``SYMBOLS_STORAGE_URL`` is either a directory (a path or ``file://`` URL) or
``s3://bucket/prefix``; ``open_blob_store`` builds the matching implementation.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import ConfigError, Settings
from .base import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreError,
    BlobStoreUnavailable,
    InvalidBlobKey,
    PresignedPost,
    validate_key,
)
from .local import LocalBlobStore

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreError",
    "BlobStoreUnavailable",
    "InvalidBlobKey",
    "LocalBlobStore",
    "PresignedPost",
    "open_blob_store",
    "parse_s3_url",
    "validate_key",
]


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError(f"SYMBOLS_STORAGE_URL must look like s3://bucket/prefix, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"SYMBOLS_STORAGE_URL takes no query or fragment, got {url!r}")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            validate_key(prefix)
        except InvalidBlobKey:
            raise ConfigError(f"invalid prefix {prefix!r} in SYMBOLS_STORAGE_URL") from None
    return parts.netloc, prefix


def _local_root(url: str) -> Path:
    if url.startswith("file://"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"file:// storage URL must be on this host, got {url!r}")
        return Path(unquote(parts.path))
    if "://" in url:
        raise ConfigError(
            f"SYMBOLS_STORAGE_URL must be a directory, file:// or s3:// URL, got {url!r}"
        )
    return Path(url)


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store ``settings.storage_url`` names. Does no I/O; call ``check()``."""
    if settings.uses_s3:
        # Imported here so the zero-configuration set-up does not pay for boto3.
        from .s3 import S3BlobStore

        bucket, prefix = parse_s3_url(settings.storage_url)
        return S3BlobStore(
            bucket,
            prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            addressing_style=settings.s3_addressing_style,
            max_workers=settings.blob_threads,
        )
    return LocalBlobStore(_local_root(settings.storage_url), max_workers=settings.blob_threads)
