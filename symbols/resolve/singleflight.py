"""Single-flight: concurrent callers asking for one key share one call of the work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Future[T]] = {}

    def __len__(self) -> int:
        return len(self._inflight)

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """``work()``'s result; while one call for ``key`` runs, later callers await it."""
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(work())
            self._inflight[key] = future
            future.add_done_callback(lambda _f: self._inflight.pop(key, None))
        # shield: one caller giving up (client gone) must not cancel the others' call.
        return await asyncio.shield(future)


__all__ = ["SingleFlight"]
