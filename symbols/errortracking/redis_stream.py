"""The Redis Streams backend of the capture stream (``SYMBOLS_STREAM_URL=redis://...``).

One stream (``{prefix}:events``) and one consumer group (``pipeline``). A batch is
published by one Lua script, so Redis takes all of it or none; the script skips an event
whose (project, uuid) it queued within ``dedupe_seconds`` (a key ``{prefix}:seen:...``
each), so an SDK's retry is queued once, as on the database stream (older repeats are
skipped by the pipeline, events being unique by (project, uuid)). Consumers read new entries
with XREADGROUP and first take over entries another consumer left pending for longer than
the lease (XAUTOCLAIM); entries are acknowledged and deleted after the events are stored.
Durability is Redis's: run it with ``appendonly yes`` (and ``appendfsync always`` for no
loss on a power cut) when it carries production traffic.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as redis
from redis.exceptions import RedisError, ResponseError

from ..db import Connection
from .stream import Batch, StreamMessage, StreamUnavailable

GROUP = "pipeline"
# How long XREADGROUP waits for new entries when the stream is empty.
_BLOCK_MS = 200
# KEYS: the stream, the prefix of seen-keys; ARGV: project id, seconds, then uuid, payload...
_PUBLISH = """
for i = 3, #ARGV, 2 do
  if redis.call('SET', KEYS[2] .. ARGV[1] .. ':' .. ARGV[i], '1', 'NX', 'EX', ARGV[2]) then
    redis.call('XADD', KEYS[1], '*', 'p', ARGV[1], 'u', ARGV[i], 'd', ARGV[i + 1])
  end
end
return 0
"""


class RedisStream:
    kind = "redis"

    def __init__(self, url: str, *, prefix: str = "symbols", dedupe_seconds: int = 600) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.key = f"{prefix}:events"
        self.seen_prefix = f"{prefix}:seen:"
        self.dedupe_seconds = dedupe_seconds
        self._publish = self.client.register_script(_PUBLISH)
        self._group_ready = False

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.client.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def publish(self, project_id: int, events: Sequence[tuple[str, bytes]]) -> None:
        if not events:
            return
        args: list = [project_id, self.dedupe_seconds]
        for event_uuid, payload in events:
            args += [event_uuid, payload]
        try:
            await self._publish(keys=[self.key, self.seen_prefix], args=args)
        except (RedisError, OSError) as exc:
            raise StreamUnavailable(f"Redis did not take the events: {exc}") from exc

    async def lease(self, consumer: str, *, count: int, lease_seconds: float) -> Batch:
        try:
            await self._ensure_group()
            _, claimed, _ = await self.client.xautoclaim(
                self.key, GROUP, consumer, min_idle_time=int(lease_seconds * 1000), start_id="0-0", count=count
            )
            entries = list(claimed)
            if len(entries) < count:
                fresh = await self.client.xreadgroup(
                    GROUP, consumer, {self.key: ">"}, count=count - len(entries), block=_BLOCK_MS
                )
                for _, stream_entries in fresh or []:
                    entries.extend(stream_entries)
            ids = [entry_id for entry_id, _ in entries]
            deliveries = await self._deliveries(ids, consumer)
        except (RedisError, OSError) as exc:
            raise StreamUnavailable(f"Redis did not answer: {exc}") from exc
        messages = []
        for entry_id, fields in entries:
            if not fields:  # deleted while pending
                continue
            key = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            messages.append(
                StreamMessage(
                    id=key,
                    project_id=int(fields[b"p"]),
                    event_uuid=fields[b"u"].decode(),
                    payload=bytes(fields[b"d"]),
                    deliveries=deliveries.get(key, 1),
                )
            )
        return Batch(consumer, messages)

    async def _deliveries(self, ids: list, consumer: str) -> dict[str, int]:
        """Times each pending entry was delivered (XPENDING's counter)."""
        if not ids:
            return {}
        keys = [i.decode() if isinstance(i, bytes) else i for i in ids]
        lowest, highest = min(keys, key=_order), max(keys, key=_order)
        pending = await self.client.xpending_range(
            self.key, GROUP, min=lowest, max=highest, count=len(keys) * 4, consumername=consumer
        )
        wanted = set(keys)
        found = {}
        for item in pending:
            key = item["message_id"].decode() if isinstance(item["message_id"], bytes) else item["message_id"]
            if key in wanted:
                found[key] = int(item["times_delivered"])
        return found

    async def settle(self, conn: Connection, batch: Batch) -> None:
        return None

    async def acknowledge(self, batch: Batch) -> None:
        if not batch.messages:
            return
        ids = [m.id for m in batch.messages]
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.xack(self.key, GROUP, *ids)
                pipe.xdel(self.key, *ids)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            # Stored already: the entries are redelivered later and skipped as duplicates.
            raise StreamUnavailable(f"Redis did not take the acknowledgement: {exc}") from exc

    async def release(self, batch: Batch) -> None:
        # Pending entries are claimed by another consumer once idle for the lease.
        return None

    async def backlog(self) -> int:
        try:
            return int(await self.client.xlen(self.key))
        except (RedisError, OSError) as exc:
            raise StreamUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self.client.aclose()


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
