import pytest

from symbols.storage import LocalBlobStore
from symbols.storage.s3 import S3BlobStore

# The root conftest is expected to register these with
# pytest_plugins = ["tests.fixtures.s3"]; importing them here keeps this directory
# runnable on its own until then.
from tests.fixtures.s3 import (  # noqa: F401
    radosgw_bucket,
    radosgw_endpoint,
    s3_bucket,
    s3_endpoint,
)


@pytest.fixture(params=["local", "s3", "radosgw"])
async def store(request, tmp_path):
    """Every BlobStore implementation; radosgw only where one answers (else skipped)."""
    if request.param == "local":
        blob_store = LocalBlobStore(tmp_path / "blobs")
    else:
        bucket = request.getfixturevalue("s3_bucket" if request.param == "s3" else "radosgw_bucket")
        blob_store = S3BlobStore(
            bucket.bucket, "symbols", endpoint_url=bucket.endpoint_url, region=bucket.region
        )
    yield blob_store
    await blob_store.close()
