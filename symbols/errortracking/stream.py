"""The capture stream: where acknowledged events wait for the pipeline.

Two backends with the same at-least-once contract:

- ``DatabaseStream`` (default, zero set-up): the ``capture_stream`` table. Settling
  happens inside the transaction that stores the events, so a batch is stored once.
- ``RedisStream`` (``SYMBOLS_STREAM_URL=redis://...``): a Redis stream with a consumer
  group, for ingestion beyond what one database takes. Messages are acknowledged after
  the store transaction commits; a consumer that dies leaves them pending and another
  claims them when they have been idle for the lease. Events are unique by (project,
  uuid) in the events table, so a redelivered event is not stored or counted twice.

``publish`` returns only once the events are durable (committed, or accepted by Redis);
any failure raises ``StreamUnavailable`` and nothing of the batch is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..db import Connection, Database, DatabaseUnavailable, WriteConflict
from ..db import capture_stream as table


class StreamUnavailable(Exception):
    """The stream could not take or give events; capture answers 503."""


@dataclass(frozen=True)
class StreamMessage:
    id: str
    project_id: int
    event_uuid: str
    payload: bytes
    # How many times the message was handed out, this time included.
    deliveries: int


@dataclass(frozen=True)
class Batch:
    """Messages leased together by one consumer."""

    token: str
    messages: list[StreamMessage]


class EventStream(Protocol):
    kind: str  # "database" or "redis", for metrics

    async def publish(self, project_id: int, events: Sequence[tuple[str, bytes]]) -> None: ...

    async def lease(self, consumer: str, *, count: int, lease_seconds: float) -> Batch: ...

    async def settle(self, conn: Connection, batch: Batch) -> None:
        """Inside the store transaction, before it commits."""

    async def acknowledge(self, batch: Batch) -> None:
        """After the store transaction committed."""

    async def release(self, batch: Batch) -> None:
        """Hand a batch back unprocessed (a consumer stopping)."""

    async def backlog(self) -> int: ...

    async def close(self) -> None: ...


class DatabaseStream:
    kind = "database"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def publish(self, project_id: int, events: Sequence[tuple[str, bytes]]) -> None:
        try:
            async with self.db.begin() as conn:
                await table.publish(conn, project_id, events)
        except (DatabaseUnavailable, WriteConflict, OSError) as exc:
            raise StreamUnavailable(f"the database did not take the events: {exc}") from exc

    async def lease(self, consumer: str, *, count: int, lease_seconds: float) -> Batch:
        token, rows = await table.lease(self.db, consumer, count=count, lease_seconds=lease_seconds)
        messages = [StreamMessage(str(r.id), r.project_id, r.event_uuid, r.payload, r.attempts) for r in rows]
        return Batch(token, messages)

    async def settle(self, conn: Connection, batch: Batch) -> None:
        await table.settle(conn, batch.token, [int(m.id) for m in batch.messages])

    async def acknowledge(self, batch: Batch) -> None:
        return None

    async def release(self, batch: Batch) -> None:
        await table.release(self.db, batch.token, [int(m.id) for m in batch.messages])

    async def backlog(self) -> int:
        count, _ = await table.backlog(self.db)
        return count

    async def close(self) -> None:
        return None


def open_stream(url: str | None, db: Database) -> EventStream:
    """The backend named by ``SYMBOLS_STREAM_URL``: unset for the database, ``redis://``."""
    if not url:
        return DatabaseStream(db)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis_stream import RedisStream

        return RedisStream(url)
    raise ValueError(f"unsupported stream URL {url!r}: use redis://host:port/db or leave it unset")
