"""What S3 itself must enforce on presigned URLs, checked on a real Ceph radosgw.

moto stores an oversized or expired presigned POST anyway, so these run only where a
radosgw answers (see ``radosgw_bucket``) and are skipped, saying why, elsewhere.
"""

import asyncio

import aiohttp
import pytest

from symbols.storage import BlobStoreUnavailable
from symbols.storage.s3 import S3BlobStore
from tests.fixtures.s3 import post_presigned


@pytest.fixture
async def rgw(radosgw_bucket):
    store = S3BlobStore(
        radosgw_bucket.bucket,
        "symbols",
        endpoint_url=radosgw_bucket.endpoint_url,
        region=radosgw_bucket.region,
    )
    yield store
    await store.close()


async def http_get(url):
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read()


async def test_post_within_the_limit_is_stored(rgw):
    post = await rgw.presigned_post("up/ok", max_bytes=1000, expires_in=60)
    status, body = await post_presigned(post.url, post.fields, b"a" * 1000)
    assert status in (200, 201, 204), body
    assert await rgw.get_bytes("up/ok") == b"a" * 1000


async def test_oversized_post_is_refused(rgw):
    post = await rgw.presigned_post("up/big", max_bytes=1000, expires_in=60)
    status, body = await post_presigned(post.url, post.fields, b"a" * 1001)
    assert status == 400, body
    assert "EntityTooLarge" in body
    assert await rgw.head("up/big") is None


async def test_post_cannot_be_redirected_to_another_key(rgw):
    post = await rgw.presigned_post("up/mine", max_bytes=1000, expires_in=60)
    status, body = await post_presigned(post.url, {**post.fields, "key": "symbols/up/other"}, b"x")
    assert status == 403, body
    assert await rgw.head("up/other") is None


async def test_expired_urls_are_refused(rgw):
    await rgw.put_bytes("dl/k", b"secret map")
    post = await rgw.presigned_post("up/late", max_bytes=1000, expires_in=1)
    get_url = await rgw.presigned_get_url("dl/k", 1)
    assert await http_get(await rgw.presigned_get_url("dl/k", 60)) == (200, b"secret map")
    # Policies and query signatures have one-second resolution.
    await asyncio.sleep(2.5)
    status, body = await post_presigned(post.url, post.fields, b"x")
    assert status == 403, body
    assert await rgw.head("up/late") is None
    status, _ = await http_get(get_url)
    assert status == 403


async def test_tampered_get_url_is_refused(rgw):
    await rgw.put_bytes("dl/a", b"a")
    await rgw.put_bytes("dl/b", b"b")
    url = await rgw.presigned_get_url("dl/a", 60)
    assert await http_get(url) == (200, b"a")
    status, _ = await http_get(url.replace("/symbols/dl/a?", "/symbols/dl/b?"))
    assert status == 403


async def test_wrong_secret_is_unavailable(radosgw_bucket, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    store = S3BlobStore(radosgw_bucket.bucket, endpoint_url=radosgw_bucket.endpoint_url)
    try:
        with pytest.raises(BlobStoreUnavailable, match="SignatureDoesNotMatch"):
            await store.put_bytes("k", b"v")
        with pytest.raises(BlobStoreUnavailable):
            await store.check()
    finally:
        await store.close()
