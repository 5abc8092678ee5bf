import pytest

from symbols.storage import LocalBlobStore


@pytest.fixture(params=["local"])
async def store(request, tmp_path):
    blob_store = LocalBlobStore(tmp_path / "blobs")
    yield blob_store
    await blob_store.close()
