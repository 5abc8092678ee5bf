"""Blob store on S3 or an S3-compatible server (MinIO, Ceph radosgw, moto), via boto3.

boto3 blocks, so every call runs in a bounded thread pool; the client is thread-safe
and shared. botocore's exceptions are translated here, at the boundary: a missing
object becomes ``BlobNotFound``, everything else that goes wrong on the way to S3
(refused connection, timeout, 5xx, throttling, bad credentials, missing bucket)
becomes ``BlobStoreUnavailable``. Credentials come from botocore's usual chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws``, instance roles).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import botocore.loaders
import botocore.session
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import S3Transfer, TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import (
    BlobInfo,
    BlobNotFound,
    BlobStoreUnavailable,
    PresignedPost,
    validate_key,
)

T = TypeVar("T")

MIB = 1024 * 1024
# S3 accepts at most 1000 keys per DeleteObjects request.
_DELETE_BATCH = 1000
_NOT_FOUND_CODES = {"NoSuchKey", "NotFound", "404"}


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    # Loading the S3 service model costs ~0.15 s per session; the loader only caches
    # read-only JSON, so every store (and every test's app) can share one.
    return botocore.loaders.create_loader()


def _client_config(addressing_style: str, max_workers: int) -> Config:
    return Config(
        # Without an explicit s3v4, a custom endpoint gets SigV2 presigned POSTs.
        signature_version="s3v4",
        s3={"addressing_style": addressing_style},
        # A dead endpoint must fail within seconds (readiness probe, upload 503), not
        # after botocore's 60 s default per attempt.
        connect_timeout=2,
        read_timeout=20,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=max_workers,
        # botocore >= 1.36 adds CRC checksum headers to every upload by default, which
        # MinIO, Backblaze and other S3-compatible servers have rejected (boto3#4392).
        # Only send checksums where the S3 API requires them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        addressing_style: str = "path",
        max_workers: int = 8,
        multipart_threshold: int = 64 * MIB,
        multipart_part_size: int = 16 * MIB,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        # A session per store (sessions are not thread-safe, and each resolves the
        # credentials current at its creation); only the model loader is shared.
        session = botocore.session.Session()
        session.register_component("data_loader", _shared_loader())
        self._client = session.create_client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=_client_config(addressing_style, max_workers),
        )
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="blob-s3")
        # Parts are uploaded one after another inside the calling pool thread, so the
        # pool size stays the bound on concurrent S3 requests.
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_part_size,
            use_threads=False,
        )

    def __repr__(self) -> str:
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix}, endpoint={self.endpoint_url!r})"

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def _call(self, what: str, key: str, fn: Callable[..., T], **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, **kwargs))
        except ClientError as exc:
            raise self._translate(what, key, exc) from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise BlobStoreUnavailable(f"S3 {what} {key!r} failed: {exc}") from exc

    def _translate(self, what: str, key: str, exc: ClientError) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _NOT_FOUND_CODES:
            return BlobNotFound(key)
        if code == "NoSuchBucket":
            return BlobStoreUnavailable(f"S3 bucket {self.bucket!r} does not exist")
        return BlobStoreUnavailable(f"S3 {what} {key!r} failed: {code} (HTTP {status})")

    def _upload(self, path: Path, object_key: str) -> None:
        # One PUT below the threshold, a multipart upload above it; read from the file
        # in parts either way.
        with S3Transfer(self._client, self._transfer) as transfer:
            transfer.upload_file(str(path), self.bucket, object_key)

    async def put_file(self, key: str, path: Path) -> None:
        await self._call("upload", key, self._upload, path=path, object_key=self._object_key(key))

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._call(
            "put",
            key,
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._object_key(key),
            Body=data,
        )

    def _read_all(self, object_key: str) -> bytes:
        response = self._client.get_object(Bucket=self.bucket, Key=object_key)
        with response["Body"] as body:
            return body.read()

    async def get_bytes(self, key: str) -> bytes:
        return await self._call("get", key, self._read_all, object_key=self._object_key(key))

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        # Validate now so a bad key fails at the call, not at the first chunk.
        return self._chunks(key, self._object_key(key), chunk_size)

    async def _chunks(self, key: str, object_key: str, chunk_size: int) -> AsyncIterator[bytes]:
        response = await self._call(
            "get", key, self._client.get_object, Bucket=self.bucket, Key=object_key
        )
        body = response["Body"]
        try:
            while chunk := await self._call("read", key, body.read, amt=chunk_size):
                yield chunk
        finally:
            # Returns the connection to the pool, or drops it when the body was not
            # read to the end.
            body.close()

    async def head(self, key: str) -> BlobInfo | None:
        try:
            response = await self._call(
                "head",
                key,
                self._client.head_object,
                Bucket=self.bucket,
                Key=self._object_key(key),
            )
        except BlobNotFound:
            return None
        return BlobInfo(key=key, size=int(response["ContentLength"]))

    async def delete(self, key: str) -> None:
        # S3 answers 204 for a missing key too, so this is idempotent by itself.
        await self._call(
            "delete",
            key,
            self._client.delete_object,
            Bucket=self.bucket,
            Key=self._object_key(key),
        )

    async def delete_many(self, keys: list[str]) -> None:
        # Validate every key before deleting any, so a bad list deletes nothing.
        object_keys = [self._object_key(key) for key in keys]
        for start in range(0, len(object_keys), _DELETE_BATCH):
            batch = object_keys[start : start + _DELETE_BATCH]
            response = await self._call(
                "delete",
                batch[0],
                self._client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            # DeleteObjects answers 200 and lists per-key failures in the body.
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise BlobStoreUnavailable(
                    f"S3 could not delete {len(errors)} of {len(batch)} blobs, e.g. "
                    f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )

    async def presigned_get_url(self, key: str, expires_in: int) -> str | None:
        return await self._call(
            "presign",
            key,
            self._client.generate_presigned_url,
            ClientMethod="get_object",
            Params={"Bucket": self.bucket, "Key": self._object_key(key)},
            ExpiresIn=expires_in,
        )

    async def presigned_post(
        self, key: str, max_bytes: int, expires_in: int
    ) -> PresignedPost | None:
        post = await self._call(
            "presign",
            key,
            self._client.generate_presigned_post,
            Bucket=self.bucket,
            Key=self._object_key(key),
            Conditions=[["content-length-range", 0, max_bytes]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]))

    async def check(self) -> None:
        try:
            await self._call("check", self.bucket, self._client.head_bucket, Bucket=self.bucket)
        except BlobNotFound:
            raise BlobStoreUnavailable(f"S3 bucket {self.bucket!r} does not exist") from None

    async def remove_orphans(self) -> int:
        return 0  # uploads are single requests: a killed process leaves no partial object

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True)
        self._client.close()
