"""The pipeline consumer: leases batches of the capture stream and runs them through the
error-tracking pipeline, beside the job loop (embedded in ``symbols serve`` and in
``symbols worker``).

    consumer = PipelineConsumer(pipeline, stream, batch=100, lease_seconds=60)
    await consumer.run()        # until consumer.stop(); burst=True: until the stream is empty

``stop()`` (SIGTERM, service shutdown) lets the batch in hand finish and be stored, then
returns. A batch that fails (database or stream down) is handed back and retried after a
growing pause; a consumer that dies mid-batch stores nothing of it (one transaction), and
its lease runs out so another consumer takes the batch again: at least once, and the
events' unique key makes it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from ..errortracking.pipeline import Pipeline
from ..errortracking.stream import EventStream, StreamUnavailable
from ..metrics import Metrics
from .worker import default_worker_id

log = logging.getLogger("workers.pipeline")

# Pause after an empty lease, and the cap of the pause after failed batches.
IDLE_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


class PipelineConsumer:
    def __init__(
        self,
        pipeline: Pipeline,
        stream: EventStream,
        *,
        batch: int = 100,
        lease_seconds: float = 60.0,
        consumer_id: str | None = None,
        metrics: Metrics | None = None,
        burst: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.stream = stream
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.consumer_id = consumer_id or f"pipeline-{default_worker_id()}"
        self.metrics = metrics
        self.burst = burst
        self.stats: Counter[str] = Counter()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the batch in hand, then return from ``run``."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> Counter[str]:
        log.info("pipeline consumer %s started (batches of %d)", self.consumer_id, self.batch)
        failures = 0
        while not self.stopping:
            try:
                batch = await self.stream.lease(self.consumer_id, count=self.batch, lease_seconds=self.lease_seconds)
            except StreamUnavailable as exc:
                failures += 1
                log.warning("the stream did not answer: %s", exc)
                await self._pause(_backoff(failures))
                continue
            if not batch.messages:
                if self.burst:
                    break
                await self._pause(IDLE_SECONDS)
                continue
            if await self._process(batch):
                failures = 0
            else:
                failures += 1
                await self._pause(_backoff(failures))
        log.info("pipeline consumer %s stopped", self.consumer_id, extra={"stats": dict(self.stats)})
        return self.stats

    async def _process(self, batch) -> bool:
        started = time.perf_counter()
        try:
            outcome = await self.pipeline.process(batch)
        except Exception:
            log.exception("pipeline batch of %d events failed; handed back", len(batch.messages))
            self._observe("error", started)
            try:
                await self.stream.release(batch)
            except Exception as exc:  # noqa: BLE001 - the lease runs out instead
                log.warning("batch not released (%s); its lease will run out", exc)
            return False
        counts = vars(outcome)
        self.stats.update({k: v for k, v in counts.items() if v})
        self._observe("done", started, counts)
        return True

    def _observe(self, outcome: str, started: float, counts: dict[str, int] | None = None) -> None:
        self.stats[f"batches_{outcome}"] += 1
        if self.metrics is not None:
            self.metrics.pipeline_batch(outcome, time.perf_counter() - started, counts)

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


def _backoff(failures: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(failures, 10))


def consumer_from_settings(settings, pipeline: Pipeline, stream: EventStream, **kwargs) -> PipelineConsumer:
    """A PipelineConsumer configured by ``Settings`` (batch size, lease)."""
    return PipelineConsumer(
        pipeline, stream, batch=settings.pipeline_batch, lease_seconds=settings.pipeline_lease_seconds, **kwargs
    )


__all__ = ["PipelineConsumer", "consumer_from_settings"]
