"""Blob store on a local directory: one file per key under ``root``.

Writes go to a temporary file in the target's directory and are renamed into place,
so a reader sees either the old blob, the new one, or none, never half a file. File
I/O runs in a small thread pool so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, TypeVar

from ..files import TMP_PREFIX, atomic_write, remove_orphans
from .base import (
    BlobInfo,
    BlobNotFound,
    BlobStoreUnavailable,
    InvalidBlobKey,
    PresignedPost,
    validate_key,
)

T = TypeVar("T")

# Copy in large blocks: fewer syscalls and thread hops for multi-MiB maps.
_COPY_BUFFER = 1024 * 1024


class LocalBlobStore:
    def __init__(self, root: Path, *, max_workers: int = 4) -> None:
        self.root = Path(root)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="blob-local")

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args))

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def _write(self, key: str, fill: Callable[[BinaryIO], None]) -> None:
        target = self._path(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot create blob directory {self.root}: {exc}") from exc
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, fill)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
            # "a/b" stored as a file and "a/b/c" requested (or the reverse): S3 allows
            # both, a directory cannot.
            raise InvalidBlobKey(f"blob key {key!r} collides with another blob") from exc
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot write blob {key!r}: {exc}") from exc

    def _put_file(self, key: str, path: Path) -> None:
        with open(path, "rb") as src:
            self._write(key, lambda out: shutil.copyfileobj(src, out, _COPY_BUFFER))

    async def put_file(self, key: str, path: Path) -> None:
        await self._run(self._put_file, key, Path(path))

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._run(self._write, key, lambda out: out.write(data))

    def _read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob {key!r}: {exc}") from exc

    async def get_bytes(self, key: str) -> bytes:
        return await self._run(self._read, key)

    def _open(self, key: str, path: Path) -> BinaryIO:
        try:
            return open(path, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob {key!r}: {exc}") from exc

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        # Validate now so a bad key fails at the call, not at the first chunk.
        return self._chunks(key, self._path(key), chunk_size)

    async def _chunks(self, key: str, path: Path, chunk_size: int) -> AsyncIterator[bytes]:
        f = await self._run(self._open, key, path)
        try:
            while True:
                try:
                    chunk = await self._run(f.read, chunk_size)
                except OSError as exc:
                    raise BlobStoreUnavailable(f"cannot read blob {key!r}: {exc}") from exc
                if not chunk:
                    return
                yield chunk
        finally:
            f.close()

    def _head(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot stat blob {key!r}: {exc}") from exc
        return BlobInfo(key=key, size=st.st_size) if stat.S_ISREG(st.st_mode) else None

    async def head(self, key: str) -> BlobInfo | None:
        return await self._run(self._head, key)

    @staticmethod
    def _unlink(key: str, path: Path) -> None:
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot delete blob {key!r}: {exc}") from exc

    async def delete(self, key: str) -> None:
        await self._run(self._unlink, key, self._path(key))

    def _delete_all(self, paths: list[tuple[str, Path]]) -> None:
        for key, path in paths:
            self._unlink(key, path)

    async def delete_many(self, keys: list[str]) -> None:
        # Validate every key before deleting any, so a bad list deletes nothing.
        paths = [(key, self._path(key)) for key in keys]
        await self._run(self._delete_all, paths)

    async def presigned_get_url(self, key: str, expires_in: int) -> str | None:
        validate_key(key)
        return None

    async def presigned_post(
        self, key: str, max_bytes: int, expires_in: int
    ) -> PresignedPost | None:
        validate_key(key)
        return None

    def _check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, prefix=".check-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as exc:
            raise BlobStoreUnavailable(
                f"blob directory {self.root} is not writable: {exc}"
            ) from exc

    async def check(self) -> None:
        await self._run(self._check)

    async def remove_orphans(self) -> int:
        return await self._run(remove_orphans, self.root, TMP_PREFIX)

    async def close(self) -> None:
        # Let in-flight writes finish without blocking the event loop.
        await asyncio.to_thread(self._pool.shutdown, True)
