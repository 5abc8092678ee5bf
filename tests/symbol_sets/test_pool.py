"""The index process pool's per-build limits: the engine's caps, a crash and a time limit
are each that set's typed failure_reason (recorded once, never retried), and a killed child
is replaced."""

from __future__ import annotations

import asyncio
import os
import signal

import orjson
import pytest

from bench.hostile import CASES
from symbols.db import queue
from symbols.db.symbol_sets import get_symbol_set, list_symbol_sets
from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder
from symbols.workers import Worker
from tests.support.bundles import APP_JS, APP_MAP, slow_container

SLOW = slow_container()


def _reason(symbol_set) -> tuple[str, str]:
    [(kind, message)] = orjson.loads(symbol_set.failure_reason)["JavaScript"].items()
    return kind, message


@pytest.fixture
async def builder():
    pool = IndexBuilder(1)
    yield pool
    pool.close()


@pytest.mark.parametrize(("case", "kind", "code"), [
    ("index_offset_line_2^31-1", "TooLarge", "too_large"),
    ("zstd_bomb_1.5GiB", "TooLarge", "too_large"),
    ("1e5_nested_functions", "TooComplex", "too_complex"),
])
async def test_caps_are_typed_failure_reasons_and_never_listed_as_valid(env, builder, case, kind, code):
    env.deps.builder = builder
    set_id, _ = await env.upload(f"chunk-{case}", CASES[case].build())
    assert dict(await Worker(env.deps, poll_seconds=0.05).run_burst()) == {"done": 1}
    async with env.db.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id)
        _, valid = await list_symbol_sets(conn, env.project_id, status="valid")
    got_kind, message = _reason(symbol_set)
    assert (got_kind, message.split(":")[0]) == (kind, code)
    assert valid == 0
    assert await queue.list_jobs(env.db, state="dead") == []


async def test_a_build_past_the_time_limit_fails_the_set_and_the_child_is_replaced(env):
    builder = IndexBuilder(1, timeout_seconds=0.2)
    env.deps.builder = builder
    try:
        set_id, _ = await env.upload("chunk-slow", SLOW)
        assert dict(await Worker(env.deps, poll_seconds=0.05).run_burst()) == {"done": 1}
        async with env.db.connect() as conn:
            kind, message = _reason(await get_symbol_set(conn, set_id))
        assert (kind, message.split(":")[0]) == ("IndexTimeout", "timeout")
        assert builder.pids() == []  # the child was killed
        builder.timeout_seconds = 0
        assert (await builder.build(pack(APP_MAP, APP_JS))).failure is None
    finally:
        builder.close()


async def test_a_killed_child_fails_that_set_only_and_is_replaced(builder):
    # A started child first: one killed before it took the blob is replaced and the build
    # retried (not this test's case), and starting one can take seconds on a loaded machine.
    assert (await builder.build(pack(APP_MAP, APP_JS))).failure is None
    [pid] = builder.pids()
    build = asyncio.ensure_future(builder.build(SLOW))
    await asyncio.sleep(0.3)  # the child has the blob and is building it
    os.kill(pid, signal.SIGKILL)
    result = await build
    assert result.failure is not None and result.failure.kind == "IndexCrashed"
    assert "SIGKILL" in result.failure.message
    ok = await builder.build(pack(APP_MAP, APP_JS))
    assert ok.failure is None and builder.pids() and builder.pids() != [pid]


async def test_out_of_address_space_is_too_large():
    builder = IndexBuilder(1, memory_bytes=320 * 1024 * 1024)
    try:
        result = await builder.build(CASES["index_offset_line_2^22-2"].build().replace(
            b'"mappings":"AAAA"', b'"mappings":"' + b"AAAA," * 8_000_000 + b'AAAA"'))
    finally:
        builder.close()
    assert result.failure is not None and result.failure.kind == "TooLarge", result.failure
    assert result.failure.message.startswith("out_of_memory")

