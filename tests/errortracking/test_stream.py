"""The capture stream's two backends against real PostgreSQL/SQLite and a real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from symbols.db import access
from symbols.db.tables import capture_stream
from symbols.errortracking.redis_stream import RedisStream
from symbols.errortracking.stream import DatabaseStream, StreamUnavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


def _events(n: int) -> list[tuple[str, bytes]]:
    return [(str(uuid.uuid4()), b'{"event":"$exception","n":%d}' % i) for i in range(n)]


@pytest.fixture
async def project_id(database):
    async with database.begin() as conn:
        return (await access.create_project(conn, "web")).id


@pytest.fixture
async def redis_stream():
    stream = RedisStream(REDIS_URL, prefix=f"symbols-test-{uuid.uuid4().hex[:12]}")
    try:
        await stream.client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means no Redis here
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield stream
    await stream.client.delete(stream.key)
    await stream.close()


async def test_database_stream_leases_settles_and_dedupes(database, project_id):
    stream = DatabaseStream(database)
    events = _events(5)
    await stream.publish(project_id, events)
    await stream.publish(project_id, events[:2])  # an SDK retry of queued events
    assert await stream.backlog() == 5

    first = await stream.lease("a", count=3, lease_seconds=60)
    second = await stream.lease("b", count=10, lease_seconds=60)
    assert [m.event_uuid for m in first.messages] == [e[0] for e in events[:3]]
    assert [m.event_uuid for m in second.messages] == [e[0] for e in events[3:]]
    assert first.messages[0].payload == events[0][1] and first.messages[0].deliveries == 1

    async with database.begin() as conn:
        await stream.settle(conn, first)
    assert await stream.backlog() == 2
    await stream.release(second)
    again = await stream.lease("c", count=10, lease_seconds=60)
    assert [m.event_uuid for m in again.messages] == [e[0] for e in events[3:]]
    assert {m.deliveries for m in again.messages} == {2}


async def test_database_stream_expired_lease_is_taken_over_and_old_holder_settles_nothing(
    database, project_id
):
    stream = DatabaseStream(database)
    await stream.publish(project_id, _events(2))
    dead = await stream.lease("dies", count=10, lease_seconds=0.05)
    await asyncio.sleep(0.1)
    alive = await stream.lease("alive", count=10, lease_seconds=60)
    assert [m.id for m in alive.messages] == [m.id for m in dead.messages]
    async with database.begin() as conn:
        await stream.settle(conn, dead)  # its lease was taken over: nothing happens
        assert (await conn.execute(select(func.count()).select_from(capture_stream))).scalar_one() == 2
        await stream.settle(conn, alive)
    assert await stream.backlog() == 0


async def test_database_stream_publish_rolls_back_whole_batch_on_failure(database, project_id):
    stream = DatabaseStream(database)
    events = _events(3) + [(str(uuid.uuid4()), None)]  # payload NOT NULL: the batch fails
    with pytest.raises(StreamUnavailable):
        await stream.publish(project_id, events)
    assert await stream.backlog() == 0


async def test_redis_stream_delivers_acknowledges_and_redelivers(redis_stream):
    events = _events(4)
    await redis_stream.publish(7, events)
    assert await redis_stream.backlog() == 4
    batch = await redis_stream.lease("a", count=3, lease_seconds=60)
    assert [(m.project_id, m.event_uuid, m.payload) for m in batch.messages] == [
        (7, u, p) for u, p in events[:3]
    ]
    assert {m.deliveries for m in batch.messages} == {1}
    await redis_stream.acknowledge(batch)
    assert await redis_stream.backlog() == 1

    # A consumer that dies keeps its entries pending; another takes them after the lease.
    lost = await redis_stream.lease("dies", count=10, lease_seconds=60)
    assert [m.event_uuid for m in lost.messages] == [events[3][0]]
    nothing = await redis_stream.lease("alive", count=10, lease_seconds=60)
    assert nothing.messages == []
    await asyncio.sleep(0.15)
    taken = await redis_stream.lease("alive", count=10, lease_seconds=0.1)
    assert [m.event_uuid for m in taken.messages] == [events[3][0]]
    assert taken.messages[0].deliveries == 2
    await redis_stream.acknowledge(taken)
    assert await redis_stream.backlog() == 0


async def test_redis_stream_unreachable_raises_stream_unavailable():
    stream = RedisStream("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(StreamUnavailable):
            await stream.publish(1, _events(2))
        with pytest.raises(StreamUnavailable):
            await stream.lease("a", count=1, lease_seconds=1)
    finally:
        await stream.close()
