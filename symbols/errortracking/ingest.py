"""Capture's domain step: a decoded batch goes to its project's stream, durably.

The project is found by its public token (``phc_...``) through a small in-process cache
of ``token -> project id`` (answers, "unknown" included, are trusted for ``token_ttl``
seconds; at most ``MAX_CACHED_TOKENS`` entries), so steady capture traffic does not ask
the database once a request. The price: a project's token keeps working (or a new one
stays unknown) for up to ``token_ttl`` seconds in each process
(``SYMBOLS_CAPTURE_TOKEN_CACHE_SECONDS``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from ..db import Database
from ..db.access import project_by_token
from ..metrics import Metrics
from .capture import CaptureBatch, CaptureError
from .stream import EventStream

MAX_CACHED_TOKENS = 10_000


class TokenCache:
    """``token -> project id | None`` for ``ttl`` seconds, least recently used dropped first."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, int | None]] = OrderedDict()

    def get(self, token: str) -> tuple[bool, int | None]:
        """(found, project id) of a fresh entry."""
        entry = self._entries.get(token)
        if entry is None or entry[0] <= self.clock():
            return False, None
        self._entries.move_to_end(token)
        return True, entry[1]

    def put(self, token: str, project_id: int | None) -> None:
        self._entries[token] = (self.clock() + self.ttl, project_id)
        self._entries.move_to_end(token)
        while len(self._entries) > MAX_CACHED_TOKENS:
            self._entries.popitem(last=False)


class Ingest:
    """Finds a batch's project and publishes its events to the stream."""

    def __init__(
        self, db: Database, stream: EventStream, *, token_ttl: float, metrics: Metrics | None = None
    ) -> None:
        self.db = db
        self.stream = stream
        self.tokens = TokenCache(token_ttl)
        self.metrics = metrics

    async def project_id(self, token: str) -> int:
        """The project of a capture token, or ``CaptureError`` 401."""
        found, project_id = self.tokens.get(token)
        if not found:
            async with self.db.connect() as conn:
                project = await project_by_token(conn, token)
            project_id = project.id if project is not None else None
            self.tokens.put(token, project_id)
        if project_id is None:
            raise CaptureError(401, "invalid_token", "API key is not valid: unknown project token")
        return project_id

    async def accept(self, batch: CaptureBatch) -> int:
        """Publish the batch's events to its project (durable on return); the project id.

        Raises ``CaptureError`` (401) for an unknown token and ``StreamUnavailable`` when
        the stream cannot make the events durable."""
        project_id = await self.project_id(batch.token)
        unique: dict[str, bytes] = {}
        for event in batch.events:  # a uuid sent twice in one request is queued once
            unique.setdefault(event.uuid, event.to_bytes())
        start = time.perf_counter()
        await self.stream.publish(project_id, list(unique.items()))
        if self.metrics is not None:
            self.metrics.stream_publish_duration.labels(self.stream.kind).observe(
                time.perf_counter() - start
            )
        return project_id


__all__ = ["MAX_CACHED_TOKENS", "Ingest", "TokenCache"]
