"""process_symbol_set through the worker: real bundler output, and every broken kind."""

from __future__ import annotations

import gzip

import orjson
import pytest

from symbols.db import queue
from symbols.db.symbol_sets import get_symbol_set, list_symbol_sets
from symbols.sourcemaps import load_index
from symbols.symbol_sets.blobs import index_key
from symbols.symbol_sets.container import MAGIC, pack
from symbols.workers import Worker
from tests.support.bundles import APP_JS, APP_MAP


async def _run(env, **kw) -> dict:
    return dict(await Worker(env.deps, poll_seconds=0.05, **kw).run_burst())


async def _set(env, set_id):
    async with env.db.connect() as conn:
        return await get_symbol_set(conn, set_id)


@pytest.mark.parametrize("blob", ["raw", "gzip", "container"])
async def test_real_bundle_is_indexed_and_marked_processed(env, blob):
    data = {"raw": APP_MAP, "gzip": gzip.compress(APP_MAP), "container": pack(APP_MAP, APP_JS)}[blob]
    set_id, ptr = await env.upload("chunk-app", data)
    assert await _run(env) == {"done": 1}
    symbol_set = await _set(env, set_id)
    assert symbol_set.failure_reason is None and symbol_set.processed_at is not None
    index = load_index(await env.store.get_bytes(index_key(ptr)))
    assert any(s.endswith("src/math.js") for s in index.sources)
    assert await env.store.get_bytes(ptr) == data  # the blob stays


def _failure(symbol_set) -> tuple[str, str]:
    [(kind, message)] = orjson.loads(symbol_set.failure_reason)["JavaScript"].items()
    return kind, message


BROKEN = {
    "not_json": (b"{this is not json", "InvalidSourceMap", "invalid_json"),
    "bad_vlq": (b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AA!A"}', "InvalidSourceMap", "invalid_vlq"),
    "bad_version": (b'{"version":2,"sources":[],"names":[],"mappings":""}', "InvalidSourceMap", "invalid_version"),
    "truncated_container": (pack(APP_MAP, APP_JS, zstd_level=None)[:-100], "InvalidSourceAndMap", "invalid_container"),
    "zstd_garbage": (
        MAGIC + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\x01" + b"\x28\xb5\x2f\xfd garbage",
        "InvalidSourceAndMap",
        "invalid_zstd",
    ),
    "truncated_zstd": (pack(APP_MAP, APP_JS)[:-20], "InvalidSourceAndMap", "invalid_zstd"),
    "truncated_gzip": (gzip.compress(APP_MAP)[:-30], "InvalidSourceAndMap", "invalid_gzip"),
    "hermes": (MAGIC + (2).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"\0", "InvalidSourceAndMap",
               "unsupported_symbol_type"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
async def test_broken_uploads_record_a_typed_failure_reason(env, name):
    data, kind, code = BROKEN[name]
    set_id, ptr = await env.upload(f"chunk-{name}", data)
    assert await _run(env) == {"done": 1}  # bad input is recorded, not retried
    symbol_set = await _set(env, set_id)
    got_kind, message = _failure(symbol_set)
    assert (got_kind, message.split(":")[0]) == (kind, code), message
    assert symbol_set.processed_at is None
    assert await env.store.head(ptr) is not None  # nothing deleted
    assert await env.store.head(index_key(ptr)) is None
    async with env.db.connect() as conn:
        invalid, count = await list_symbol_sets(conn, env.project_id, status="invalid")
    assert count == 1 and invalid[0].id == set_id


async def test_missing_blob_is_missing_chunk_id_data(env):
    set_id, _ = await env.upload("chunk-gone", b"{}", store=False)
    assert await _run(env) == {"done": 1}
    kind, message = _failure(await _set(env, set_id))
    assert kind == "MissingChunkIdData" and "missing" in message


async def test_a_stale_job_does_not_mark_a_reuploaded_set(env):
    """The set was fixed (new blob) after the job for its broken blob was queued."""
    from symbols.db.symbol_sets import record_upload

    set_id, _ = await env.upload("chunk-1", b"{broken")
    good_ptr = f"symbolsets/{env.project_id}/fixed"
    await env.store.put_bytes(good_ptr, APP_MAP)
    # The broken job runs first, but the row already points at the good blob.
    async with env.db.begin() as conn:
        await record_upload(conn, set_id, storage_ptr=good_ptr, content_hash="h", size_bytes=1, release_id=None)
    from symbols.workers.handlers import build_and_store

    failure = await build_and_store(env.deps, set_id, f"symbolsets/{env.project_id}/nonexistent")
    assert failure is not None  # recorded nowhere: the pointer no longer matches
    assert (await _set(env, set_id)).failure_reason is None


async def test_failure_is_cleared_by_a_fixed_upload(env):
    from symbols.db.jobs import enqueue_symbol_set_processing
    from symbols.db.symbol_sets import record_upload

    set_id, _ = await env.upload("chunk-1", b"{broken")
    await _run(env)
    assert (await _set(env, set_id)).failure_reason is not None
    ptr = f"symbolsets/{env.project_id}/fixed"
    await env.store.put_bytes(ptr, APP_MAP)
    async with env.db.begin() as conn:
        await record_upload(conn, set_id, storage_ptr=ptr, content_hash="h", size_bytes=1, release_id=None)
        await enqueue_symbol_set_processing(conn, set_id, env.project_id)
    assert (await _set(env, set_id)).failure_reason is None
    await _run(env)
    fixed = await _set(env, set_id)
    assert fixed.failure_reason is None and fixed.processed_at is not None


async def test_infrastructure_faults_are_retried_then_dead(env):
    set_id, _ = await env.upload("chunk-1", APP_MAP)

    async def flaky(deps, job):
        raise OSError("disk on fire")

    worker = Worker(env.deps, handlers={"process_symbol_set": flaky}, backoff_base=0, poll_seconds=0.01)
    stats = await worker.run_burst()
    assert stats == {"retried": 4, "dead": 1}
    [dead] = await queue.list_jobs(env.db, state="dead")
    assert dead.attempts == 5 and dead.last_error == "OSError: disk on fire"
    assert (await _set(env, set_id)).failure_reason is None  # not the input's fault


async def test_deleted_set_job_finishes_quietly(env):
    from symbols.db.symbol_sets import delete_symbol_sets

    set_id, _ = await env.upload("chunk-1", APP_MAP)
    async with env.db.begin() as conn:
        await delete_symbol_sets(conn, env.project_id, [set_id])
    assert await _run(env) == {"done": 1}


async def test_a_set_deleted_while_its_index_is_built_leaves_nothing_behind(env):
    from symbols.symbol_sets.manage import delete_many

    set_id, ptr = await env.upload("chunk-1", pack(APP_MAP, APP_JS))
    builder = env.deps.builder

    class DeleteDuringBuild:
        """The real builder, with a DELETE of the set landing while it builds."""

        async def build(self, blob):
            result = await builder.build(blob)
            assert await delete_many(env.db, env.store, env.project_id, [set_id]) == 1
            return result

    env.deps.builder = DeleteDuringBuild()
    assert await _run(env) == {"done": 1}
    assert await env.store.head(index_key(ptr)) is None
    assert await env.store.head(ptr) is None
    assert await _set(env, set_id) is None


async def test_index_built_in_a_process_pool(env):
    from symbols.symbol_sets.pool import IndexBuilder

    builder = IndexBuilder(1)
    try:
        result = await builder.build(pack(APP_MAP, APP_JS))
    finally:
        builder.close()
    assert result.failure is None and load_index(result.index).sources
