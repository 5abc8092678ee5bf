"""What only the directory store does: files on disk, atomic writes, no URLs of its own."""

import os

import pytest

from symbols.config import Settings
from symbols.storage import (
    BlobStoreUnavailable,
    InvalidBlobKey,
    LocalBlobStore,
    open_blob_store,
)


@pytest.fixture
async def local(tmp_path):
    store = LocalBlobStore(tmp_path / "root")
    yield store
    await store.close()


async def test_blob_is_a_file_under_root(local, tmp_path):
    await local.put_bytes("symbolsets/7/abc", b"map")
    assert (tmp_path / "root" / "symbolsets" / "7" / "abc").read_bytes() == b"map"


async def test_no_temporary_files_left(local, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"y" * 3_000_000)
    await local.put_file("a/b", src)
    await local.put_bytes("a/b", b"again")
    assert sorted(p.name for p in (tmp_path / "root" / "a").iterdir()) == ["b"]


async def test_failed_write_keeps_old_blob_and_leaves_no_temp(local, tmp_path):
    await local.put_bytes("a/b", b"old")
    with pytest.raises(FileNotFoundError):
        await local.put_file("a/b", tmp_path / "does-not-exist")
    assert await local.get_bytes("a/b") == b"old"
    assert [p.name for p in (tmp_path / "root" / "a").iterdir()] == ["b"]


async def test_key_colliding_with_a_blob_path(local):
    await local.put_bytes("a/b", b"file")
    with pytest.raises(InvalidBlobKey):
        await local.put_bytes("a/b/c", b"under a file")
    await local.put_bytes("x/y/z", b"deep")
    with pytest.raises(InvalidBlobKey):
        await local.put_bytes("x/y", b"over a directory")
    assert await local.get_bytes("x/y/z") == b"deep"


async def test_no_presigned_urls(local):
    await local.put_bytes("k", b"v")
    assert await local.presigned_get_url("k", 60) is None
    assert await local.presigned_post("k", 100, 60) is None


async def test_check_creates_root(tmp_path):
    store = LocalBlobStore(tmp_path / "new" / "root")
    await store.check()
    assert (tmp_path / "new" / "root").is_dir()
    await store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
async def test_read_only_root_is_unavailable(tmp_path):
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o500)
    store = LocalBlobStore(root)
    try:
        with pytest.raises(BlobStoreUnavailable):
            await store.check()
        with pytest.raises(BlobStoreUnavailable):
            await store.put_bytes("k", b"v")
    finally:
        root.chmod(0o700)
        await store.close()


async def test_root_under_a_file_is_unavailable(tmp_path):
    # Works as root too: nothing can create a directory below a regular file.
    (tmp_path / "plain").write_bytes(b"")
    store = LocalBlobStore(tmp_path / "plain" / "root")
    try:
        with pytest.raises(BlobStoreUnavailable):
            await store.check()
        with pytest.raises(BlobStoreUnavailable):
            await store.put_bytes("a/b", b"v")
    finally:
        await store.close()


@pytest.mark.parametrize(
    "url, root",
    [
        ("/srv/blobs", "/srv/blobs"),
        ("file:///srv/my%20blobs", "/srv/my blobs"),
        ("rel/dir", "rel/dir"),
    ],
)
async def test_factory_local(url, root):
    store = open_blob_store(Settings(storage_url=url))
    assert isinstance(store, LocalBlobStore)
    assert str(store.root) == root
    await store.close()


async def test_factory_default_is_data_dir(tmp_path):
    store = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"
    await store.close()
