"""Capture tests' shared parts: events as SDKs send them, and reading what a stream holds."""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import select

from symbols.db import Database
from symbols.db.access import list_projects
from symbols.db.tables import capture_stream
from symbols.errortracking.redis_stream import RedisStream

REDIS_URL = "redis://127.0.0.1:6379/0"


def exception_event(distinct_id: str = "u1", event_uuid: str | None = None, **properties) -> dict:
    """A ``$exception`` event as posthog-js sends it (no token: the caller adds one)."""
    return {
        "event": "$exception",
        "uuid": event_uuid or str(uuid.uuid4()),
        "distinct_id": distinct_id,
        "properties": {
            "$exception_list": [{
                "type": "TypeError",
                "value": "x is undefined",
                "stacktrace": {"type": "raw", "frames": [
                    {"platform": "web:javascript", "filename": "https://example.com/app.js",
                     "function": "a", "lineno": 1, "colno": 120, "in_app": True},
                ]},
            }],
            **properties,
        },
    }


async def project_tokens(db: Database) -> dict[int, str]:
    async with db.connect() as conn:
        return {p.id: p.api_token for p in await list_projects(conn)}


async def queued(db: Database, stream: RedisStream | None) -> list[tuple[int, str, dict]]:
    """``(project id, event uuid, event)`` of every queued event, oldest first: the
    ``capture_stream`` table, or the Redis stream when ``stream`` is given."""
    if stream is None:
        async with db.connect() as conn:
            rows = await conn.execute(select(capture_stream).order_by(capture_stream.c.id))
            return [(r.project_id, r.event_uuid, orjson.loads(r.payload)) for r in rows]
    entries = await stream.client.xrange(stream.key)
    return [
        (int(f[b"p"]), f[b"u"].decode(), orjson.loads(f[b"d"])) for _, f in entries
    ]


async def drop_redis_keys(stream: RedisStream, prefix: str) -> None:
    keys = [k async for k in stream.client.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await stream.client.delete(*keys)
