"""Helpers for tests of the HTTP API: the blob formats an upload may take, running the
queued jobs, and calling resolve."""

from __future__ import annotations

import gzip

from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder
from symbols.workers import Deps, Worker

SOURCE_MAP = b'{"version":3,"sources":["src/app.ts"],"names":["hello"],"mappings":"AAAA,SAASA"}'
MINIFIED = b"function hello(){return 1}\n//# chunkId=abc\n"

BLOBS = {
    "raw_json": SOURCE_MAP,
    "gzip": gzip.compress(SOURCE_MAP),
    "container_v1": (
        b"posthog_error_tracking"
        + (1).to_bytes(4, "little")
        + (2).to_bytes(4, "little")
        + len(MINIFIED).to_bytes(8, "little")
        + MINIFIED
        + len(SOURCE_MAP).to_bytes(8, "little")
        + SOURCE_MAP
    ),
    "container_v2_none": pack(SOURCE_MAP, MINIFIED, zstd_level=None),
    "container_v2_zstd": pack(SOURCE_MAP, MINIFIED),
}


async def process_jobs(api) -> dict:
    builder = IndexBuilder(1)
    try:
        return dict(await Worker(Deps(api.db, api.store, builder), poll_seconds=0.05).run_burst())
    finally:
        builder.close()


async def resolve(api, body: dict, **kw):
    return await api.call("POST", "stack_frames/resolve/", json=body, **kw)
