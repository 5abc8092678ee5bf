"""What only the S3 store does: prefixes, multipart, presigned URLs, faults on the wire."""

import base64
import json
import os
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from symbols.config import ConfigError, Settings
from symbols.storage import BlobNotFound, BlobStoreUnavailable, open_blob_store, parse_s3_url
from symbols.storage.s3 import S3BlobStore
from tests.fixtures.s3 import post_presigned
from tests.support.net import free_port

MIB = 1024 * 1024


def make_store(bucket, prefix="symbols", **kwargs):
    return S3BlobStore(
        bucket.bucket, prefix, endpoint_url=bucket.endpoint_url, region=bucket.region, **kwargs
    )


@pytest.fixture
async def s3(s3_bucket):
    store = make_store(s3_bucket)
    yield store
    await store.close()


async def test_objects_live_under_the_prefix(s3, s3_bucket):
    await s3.put_bytes("symbolsets/1/x", b"x")
    listed = s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["symbols/symbolsets/1/x"]


async def test_prefixes_isolate_stores_in_one_bucket(s3_bucket):
    a, b, bare = make_store(s3_bucket, "a"), make_store(s3_bucket, "b/"), make_store(s3_bucket, "")
    try:
        await a.put_bytes("k", b"from a")
        await b.put_bytes("k", b"from b")
        assert await a.get_bytes("k") == b"from a"
        assert await b.get_bytes("k") == b"from b"
        assert await bare.head("k") is None
        assert await bare.get_bytes("a/k") == b"from a"
        await a.delete_many(["k"])
        assert await a.head("k") is None
        assert await b.get_bytes("k") == b"from b"
    finally:
        for store in (a, b, bare):
            await store.close()


async def test_delete_many_over_one_batch(s3, s3_bucket):
    # 1001 keys: two requests. Objects on both sides of the batch boundary; the other
    # keys are missing, which must not matter.
    keys = [f"bulk/{i:04d}" for i in range(1001)]
    client = s3_bucket.client()
    for key in (keys[0], keys[999], keys[1000]):
        client.put_object(Bucket=s3_bucket.bucket, Key=f"symbols/{key}", Body=b"")
    await s3.put_bytes("bulk-kept", b"kept")
    await s3.delete_many(keys)
    listed = client.list_objects_v2(Bucket=s3_bucket.bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["symbols/bulk-kept"]


async def test_multipart_upload_round_trip(s3_bucket, tmp_path):
    store = make_store(s3_bucket, multipart_threshold=5 * MIB, multipart_part_size=5 * MIB)
    data = os.urandom(12 * MIB + 7)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    try:
        await store.put_file("big", src)
        assert await store.get_bytes("big") == data
        head = s3_bucket.client().head_object(Bucket=s3_bucket.bucket, Key="symbols/big")
        # A multipart object's ETag ends in "-<number of parts>".
        assert head["ETag"].strip('"').endswith("-3")
    finally:
        await store.close()


async def test_presigned_get_url_is_plain_http(s3):
    await s3.put_bytes("dl/map.js.map", b'{"version":3}')
    url = await s3.presigned_get_url("dl/map.js.map", 60)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert await response.read() == b'{"version":3}'


async def test_presigned_post_uploads_with_plain_multipart(s3):
    post = await s3.presigned_post("up/1", max_bytes=10 * MIB, expires_in=300)
    data = os.urandom(2 * MIB + 3)
    status, body = await post_presigned(post.url, post.fields, data)
    assert status in (200, 201, 204), body
    assert await s3.get_bytes("up/1") == data


async def test_presigned_post_policy_limits_size_and_time(s3):
    before = datetime.now(UTC)
    post = await s3.presigned_post("up/2", max_bytes=1234, expires_in=300)
    # SigV4 POST fields, not the legacy SigV2 AWSAccessKeyId/signature pair.
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert post.fields["key"] == "symbols/up/2"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert ["content-length-range", 0, 1234] in policy["conditions"]
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    expires = expires.replace(tzinfo=UTC)
    assert before + timedelta(seconds=290) <= expires <= before + timedelta(seconds=310)


async def test_missing_bucket_is_unavailable(s3_bucket):
    store = S3BlobStore("no-such-bucket-here", endpoint_url=s3_bucket.endpoint_url)
    try:
        with pytest.raises(BlobStoreUnavailable, match="does not exist"):
            await store.check()
        with pytest.raises(BlobStoreUnavailable):
            await store.get_bytes("k")
        with pytest.raises(BlobStoreUnavailable):
            await store.put_bytes("k", b"v")
    finally:
        await store.close()


async def test_dead_endpoint_is_unavailable_quickly(s3_bucket, tmp_path):
    store = S3BlobStore("bucket", endpoint_url=f"http://127.0.0.1:{free_port()}")
    src = tmp_path / "f"
    src.write_bytes(b"data")
    try:
        for operation in (
            store.check,
            lambda: store.put_bytes("k", b"v"),
            lambda: store.put_file("k", src),
            lambda: store.get_bytes("k"),
            lambda: store.head("k"),
            lambda: store.delete_many(["k"]),
            lambda: anext(store.iter_chunks("k")),
        ):
            started = time.monotonic()
            with pytest.raises(BlobStoreUnavailable) as err:
                await operation()
            # Three attempts with backoff, not botocore's 60 s timeouts.
            assert time.monotonic() - started < 10
            assert "127.0.0.1" in str(err.value) or "Could not connect" in str(err.value)
    finally:
        await store.close()


async def test_server_errors_and_throttling_are_unavailable(s3_bucket):
    # A real HTTP server that answers like an overloaded S3.
    hits = []

    async def overloaded(request):
        hits.append((request.method, request.path_qs))
        body = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>"
        return web.Response(status=503, body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", overloaded)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    store = S3BlobStore("bucket", endpoint_url=f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(BlobStoreUnavailable, match="SlowDown"):
            await store.get_bytes("k")
        # Three attempts in all, then the error.
        assert hits == [("GET", "/bucket/k")] * 3
        with pytest.raises(BlobStoreUnavailable):
            await store.put_bytes("k", b"v")
        with pytest.raises(BlobStoreUnavailable):
            await store.check()
    finally:
        await store.close()
        await runner.cleanup()


async def test_not_found_is_not_unavailable(s3):
    with pytest.raises(BlobNotFound):
        await s3.get_bytes("missing")
    assert await s3.head("missing") is None


@pytest.mark.parametrize(
    "url, bucket, prefix",
    [
        ("s3://maps", "maps", ""),
        ("s3://maps/", "maps", ""),
        ("s3://maps/prod/symbols/", "maps", "prod/symbols"),
    ],
)
def test_parse_s3_url(url, bucket, prefix):
    assert parse_s3_url(url) == (bucket, prefix)


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "s3://b/a/../c", "s3://b/p?x=1"])
def test_parse_s3_url_rejects(url):
    with pytest.raises(ConfigError):
        parse_s3_url(url)


async def test_factory_builds_s3_store_from_settings(s3_bucket):
    settings = Settings(**s3_bucket.settings_overrides("from/settings"))
    store = open_blob_store(settings)
    try:
        assert isinstance(store, S3BlobStore)
        assert (store.bucket, store.prefix) == (s3_bucket.bucket, "from/settings")
        await store.check()
        await store.put_bytes("k", b"via settings")
        obj = s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key="from/settings/k")
        assert obj["Body"].read() == b"via settings"
    finally:
        await store.close()
