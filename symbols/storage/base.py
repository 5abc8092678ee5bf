"""The blob store interface. Implementations: ``local.py`` (a directory), ``s3.py`` (boto3).

Keys are relative, slash-separated strings (``symbolsets/<project>/<uuid>``); the store
maps them to files or objects. Missing blobs raise ``BlobNotFound``; a store that
cannot be reached raises ``BlobStoreUnavailable`` (the API answers 503, the worker
retries); a key that breaks ``validate_key``'s rules raises ``InvalidBlobKey`` before
any I/O. Nothing else escapes an implementation (except the caller's own mistakes, such
as ``put_file`` of a path that does not exist: ``FileNotFoundError``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


class BlobStoreError(Exception):
    """Base of the errors a blob store raises."""


class BlobNotFound(BlobStoreError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no blob at {key!r}")
        self.key = key


class BlobStoreUnavailable(BlobStoreError):
    """The store did not answer or failed; the operation may succeed later."""


class InvalidBlobKey(BlobStoreError, ValueError):
    """A key that is empty, absolute, escapes the store (``..``), or (on a directory)
    collides with another blob's path."""


def validate_key(key: str) -> str:
    """Return ``key`` if it is a relative, slash-separated path that stays inside the
    store; raise InvalidBlobKey otherwise. Every implementation applies the same rules,
    so a key that works on S3 also works on a directory and the other way round."""
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey(f"blob key must be a non-empty string, got {key!r}")
    if "\\" in key or "\x00" in key:
        raise InvalidBlobKey(f"blob key must not contain backslashes or NUL: {key!r}")
    if key.startswith("/"):
        raise InvalidBlobKey(f"blob key must be relative: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidBlobKey(f"blob key has an empty, '.' or '..' segment: {key!r}")
    return key


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int


@dataclass(frozen=True)
class PresignedPost:
    """A browser-style POST upload: send ``fields`` then a ``file`` part to ``url``."""

    url: str
    fields: dict[str, str]


@runtime_checkable
class BlobStore(Protocol):
    async def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key`` (streamed, never read whole)."""

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store small in-memory data (indexes) under ``key``."""

    async def get_bytes(self, key: str) -> bytes:
        """The whole blob. Raises BlobNotFound."""

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        """The blob in chunks, for streaming responses. Raises InvalidBlobKey at the
        call, BlobNotFound on first use."""

    async def head(self, key: str) -> BlobInfo | None:
        """Size of the blob, or None when there is none."""

    async def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""

    async def delete_many(self, keys: list[str]) -> None:
        """Remove several blobs; missing ones are ignored."""

    async def presigned_get_url(self, key: str, expires_in: int) -> str | None:
        """A URL clients can GET the blob from, or None when the store has no URLs of
        its own (the service then signs one that it serves itself)."""

    async def presigned_post(
        self, key: str, max_bytes: int, expires_in: int
    ) -> PresignedPost | None:
        """A presigned POST limited to ``max_bytes`` (content-length-range) and
        ``expires_in`` seconds, or None when the store has no URLs of its own."""

    async def check(self) -> None:
        """Readiness probe: raise BlobStoreUnavailable when the store cannot be used."""

    async def remove_orphans(self) -> int:
        """Remove temporary files that killed processes of this host left (start-up); the count."""

    async def close(self) -> None:
        """Release threads and connections."""
