"""One behaviour, every implementation: each test runs against every BlobStore."""

import asyncio
import hashlib
import os

import pytest

from symbols.storage import BlobInfo, BlobNotFound, BlobStore, InvalidBlobKey

BAD_KEYS = ["", "/abs/key", "a/../b", "..", "a//b", "a/", "a\\b", "./a", "a/./b", "a\x00b"]


async def test_is_a_blob_store(store):
    assert isinstance(store, BlobStore)
    await store.check()


async def test_put_bytes_round_trip(store):
    data = b"\x00\x01binary\xff"
    await store.put_bytes("indexes/1/a.idx", data)
    assert await store.get_bytes("indexes/1/a.idx") == data
    assert await store.head("indexes/1/a.idx") == BlobInfo("indexes/1/a.idx", 9)


async def test_put_bytes_empty_blob(store):
    await store.put_bytes("empty", b"")
    assert await store.get_bytes("empty") == b""
    assert await store.head("empty") == BlobInfo("empty", 0)


async def test_put_file_multi_mib_round_trip(store, tmp_path):
    # Not a multiple of any chunk size, so the last chunk is short.
    data = os.urandom(9 * 1024 * 1024 + 12345)
    src = tmp_path / "upload.bin"
    src.write_bytes(data)
    await store.put_file("symbolsets/1/big", src)
    assert src.read_bytes() == data, "put_file must leave the source file alone"
    assert await store.head("symbolsets/1/big") == BlobInfo("symbolsets/1/big", len(data))
    assert hashlib.sha512(await store.get_bytes("symbolsets/1/big")).digest() == (
        hashlib.sha512(data).digest()
    )


async def test_put_overwrites(store):
    await store.put_bytes("k", b"first version, longer")
    await store.put_bytes("k", b"second")
    assert await store.get_bytes("k") == b"second"
    assert (await store.head("k")).size == 6


async def test_iter_chunks_streams_in_order(store):
    data = bytes(range(256)) * 1000  # 256000 bytes
    await store.put_bytes("stream/me", data)
    chunks = [chunk async for chunk in store.iter_chunks("stream/me", chunk_size=100_000)]
    assert b"".join(chunks) == data
    assert len(chunks) >= 3
    assert all(len(c) <= 100_000 for c in chunks)


async def test_iter_chunks_closed_early(store):
    await store.put_bytes("stream/partial", b"x" * 300_000)
    chunks = store.iter_chunks("stream/partial", chunk_size=100_000)
    first = await anext(chunks)
    await chunks.aclose()
    assert first == b"x" * len(first) and 0 < len(first) <= 100_000


async def test_iter_chunks_missing(store):
    chunks = store.iter_chunks("nope/missing")
    with pytest.raises(BlobNotFound) as err:
        await anext(chunks)
    assert err.value.key == "nope/missing"


async def test_missing_blob(store):
    assert await store.head("nope/missing") is None
    with pytest.raises(BlobNotFound) as err:
        await store.get_bytes("nope/missing")
    assert err.value.key == "nope/missing"


async def test_head_of_a_prefix_is_none(store):
    await store.put_bytes("dir/child", b"c")
    assert await store.head("dir") is None
    with pytest.raises(BlobNotFound):
        await store.get_bytes("dir")


async def test_delete_is_idempotent(store):
    await store.put_bytes("gone/soon", b"bye")
    await store.delete("gone/soon")
    assert await store.head("gone/soon") is None
    await store.delete("gone/soon")
    await store.delete("never/existed")
    with pytest.raises(BlobNotFound):
        await store.get_bytes("gone/soon")


async def test_delete_many(store):
    keys = [f"many/{i}" for i in range(5)]
    for key in keys:
        await store.put_bytes(key, key.encode())
    await store.put_bytes("many/kept", b"kept")
    await store.delete_many(keys[:3] + ["many/missing"])
    assert [await store.head(k) for k in keys[:3]] == [None, None, None]
    assert await store.get_bytes("many/3") == b"many/3"
    assert await store.get_bytes("many/kept") == b"kept"
    await store.delete_many([])


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_invalid_keys_are_refused(store, key, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"x")
    with pytest.raises(InvalidBlobKey):
        await store.put_bytes(key, b"x")
    with pytest.raises(InvalidBlobKey):
        await store.put_file(key, src)
    with pytest.raises(InvalidBlobKey):
        await store.get_bytes(key)
    with pytest.raises(InvalidBlobKey):
        await store.head(key)
    with pytest.raises(InvalidBlobKey):
        await store.delete(key)
    with pytest.raises(InvalidBlobKey):
        store.iter_chunks(key)
    with pytest.raises(InvalidBlobKey):
        await store.presigned_get_url(key, 60)
    with pytest.raises(InvalidBlobKey):
        await store.presigned_post(key, 100, 60)


async def test_delete_many_with_a_bad_key_deletes_nothing(store):
    await store.put_bytes("ok/1", b"1")
    with pytest.raises(InvalidBlobKey):
        await store.delete_many(["ok/1", "../escape"])
    assert await store.get_bytes("ok/1") == b"1"


async def test_put_file_of_a_missing_source_is_the_callers_error(store, tmp_path):
    # A missing source file is a bug in the caller, not an outage of the store.
    with pytest.raises(FileNotFoundError):
        await store.put_file("k", tmp_path / "nope")
    assert await store.head("k") is None


async def test_concurrent_writes_and_reads(store):
    # More operations than pool threads, on one shared client or directory.
    blobs = {f"concurrent/{i}": os.urandom(1000 + i) for i in range(24)}
    await asyncio.gather(*(store.put_bytes(k, v) for k, v in blobs.items()))
    read = await asyncio.gather(*(store.get_bytes(k) for k in blobs))
    assert read == list(blobs.values())
