"""symbols.upload when the run must stop half-way, and presigned hosts that never answer.

A key revoked between two batches cannot be timed against the real service, so a
Python stand-in for the client plays it; everything else runs on the real service in
test_upload.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from symbols.buildtools import client as c
from symbols.buildtools import inject as inj
from symbols.buildtools.upload import upload_directory
from tests.support.net import free_port


class RevokedAfterOneBatch:
    def __init__(self) -> None:
        self.starts = 0
        self.finished: dict[str, str] = {}

    async def check_access(self) -> None:
        pass

    async def bulk_start_upload(self, sets):
        self.starts += 1
        if self.starts > 1:
            raise c.AuthenticationFailed("authentication failed: key revoked", status=401)
        return {s["chunk_id"]: c.UploadTarget("id-" + s["chunk_id"], c.PresignedForm("http://x", {})) for s in sets}

    async def upload_presigned(self, target, data, *, filename="file"):
        pass

    async def bulk_finish_upload(self, hashes):
        self.finished.update(hashes)


async def test_fatal_error_carries_what_was_done(build_dir: Path) -> None:
    for pair in inj.scan(build_dir).pairs:
        inj.inject(pair)
    fake = RevokedAfterOneBatch()
    with pytest.raises(c.AuthenticationFailed) as info:
        await upload_directory(fake, build_dir, batch_size=4)
    summary = info.value.summary
    assert len(summary.uploaded) == 4 and len(fake.finished) == 4
    assert summary.failed == [] and summary.unchanged == []


async def test_unreachable_presigned_host_fails_fast() -> None:
    port = free_port()
    slow = c.RetryPolicy(attempts=6, base_delay=0.5, max_delay=4)
    async with c.SymbolsClient("http://127.0.0.1:1", "1", "k", retry=slow) as api:
        began = time.monotonic()
        with pytest.raises(c.UploadFailed, match=f"upload to http://127.0.0.1:{port} failed: Connection refused"):
            await api.upload_presigned(c.PresignedForm(f"http://127.0.0.1:{port}/b", {}), b"x")
    assert time.monotonic() - began < 1.5  # two tries, not six
