"""A pipeline over a real database, a local blob store and the real resolution layers,
fed through the real capture stream; the fixture bundle's symbol sets uploaded on demand
through the service's direct upload (so an upload fills a placeholder as it would)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from symbols.db import Database
from symbols.db.access import create_project
from symbols.db.events import events_by_uuid
from symbols.db.tables import issue_fingerprints, issues
from symbols.errortracking.capture import CapturedEvent
from symbols.errortracking.pipeline import Outcome, Pipeline
from symbols.errortracking.ruleset import RuleSource
from symbols.errortracking.stream import DatabaseStream, EventStream
from symbols.resolve import IndexCache, IndexLoader, Resolver
from symbols.storage import LocalBlobStore
from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder
from symbols.symbol_sets.upload import SpooledFile, check_direct, store_direct

DIST = Path(__file__).resolve().parents[1] / "fixtures" / "build" / "dist"
APP = DIST / "assets" / "app.js"
APP_URL = "https://cdn.example.com/assets/app.js"
# The committed esbuild bundle's frames when main() catches the RangeError under Node
# (innermost first, as Node prints them), and the functions they map to.
APP_FRAMES = [("i", 77, "checkedQuantity"), ("a", 36, "lineTotal"), ("r", 185, "orderTotal"),
              ("c", 398, "main")]


def app_exception(*, chunk_id: str | None = "chunk-app", url: str = APP_URL, message: str = "negative quantity for cake",
                  kind: str = "RangeError") -> dict[str, Any]:
    """A posthog-js-shaped exception thrown in the fixture bundle (SDK order: innermost last)."""
    frames = [
        {"platform": "web:javascript", "filename": url, "function": fn, "lineno": 1, "colno": col,
         "in_app": True, **({"chunk_id": chunk_id} if chunk_id else {})}
        for fn, col, _ in reversed(APP_FRAMES)
    ]
    return {"type": kind, "value": message, "mechanism": {"handled": True, "type": "generic"},
            "stacktrace": {"type": "raw", "frames": frames}}


def frames_of(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The resolved frames of an event's single exception."""
    [exception] = props["$exception_list"]
    assert exception["stacktrace"]["type"] == "resolved"
    return exception["stacktrace"]["frames"]


def captured(properties: dict[str, Any], *, event: str = "$exception", event_uuid: str | None = None,
             timestamp: datetime | None = None) -> CapturedEvent:
    now = datetime.now(UTC)
    return CapturedEvent(
        uuid=event_uuid or str(uuid.uuid4()), event=event, distinct_id="user-1", properties=properties,
        timestamp=timestamp or now, received_at=now,
    )


@dataclass
class Harness:
    db: Database
    store: LocalBlobStore
    builder: IndexBuilder
    resolver: Resolver
    stream: EventStream
    project_id: int
    rules: RuleSource | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(self.db, self.stream, self.resolver, self.rules)

    async def upload(self, ref: str, script: Path = APP, *, project_id: int | None = None) -> str:
        """Upload the bundle and its map as the symbol set ``ref`` (indexed on first use); its id."""
        data = pack(script.with_name(script.name + ".map").read_bytes(), script.read_bytes())
        project = project_id or self.project_id
        spooled = self.store.root.parent / f"upload-{uuid.uuid4()}"
        spooled.write_bytes(data)
        try:
            existing = await check_direct(self.db, project, ref, None)
            file = SpooledFile(spooled, len(data), hashlib.sha512(data).hexdigest(), data[:64])
            symbol_set_id, _ = await store_direct(self.db, self.store, project, ref, None, existing, file)
        finally:
            spooled.unlink()
        return symbol_set_id

    async def publish(self, *events: CapturedEvent, project_id: int | None = None) -> None:
        await self.stream.publish(project_id or self.project_id, [(e.uuid, e.to_bytes()) for e in events])

    async def drain(self, count: int = 100) -> Outcome:
        """Process the stream until it is empty; the outcomes summed."""
        total: dict[str, int] = {}
        while True:
            batch = await self.stream.lease("test", count=count, lease_seconds=60)
            if not batch.messages:
                return Outcome(**total)
            outcome = await self.pipeline.process(batch)
            self.outcomes.append(outcome)
            for key, value in vars(outcome).items():
                total[key] = total.get(key, 0) + value

    async def event(self, event_uuid: str, project_id: int | None = None):
        async with self.db.connect() as conn:
            rows = await events_by_uuid(conn, project_id or self.project_id, [event_uuid])
        return rows[0] if rows else None

    async def issues(self) -> list:
        async with self.db.connect() as conn:
            return (await conn.execute(select(issues).order_by(issues.c.created_at))).all()

    async def fingerprints(self) -> list:
        async with self.db.connect() as conn:
            return (await conn.execute(select(issue_fingerprints))).all()


async def make_harness(
    db: Database, tmp_path: Path, *, stream: EventStream | None = None, project_id: int | None = None
) -> Harness:
    """A harness on ``db`` for ``project_id`` (a new project when None)."""
    store = LocalBlobStore(tmp_path / "harness-blobs")
    builder = IndexBuilder(1)
    resolver = Resolver(db, IndexLoader(db, store, builder, IndexCache(64 << 20)))
    if project_id is None:
        async with db.begin() as conn:
            project_id = (await create_project(conn, "web")).id
    return Harness(db, store, builder, resolver, stream or DatabaseStream(db), project_id)


async def close_harness(harness: Harness) -> None:
    harness.builder.close()
    await harness.store.close()
