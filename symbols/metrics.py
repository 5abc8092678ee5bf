"""Prometheus metrics of one application (its own registry, so apps never collide).

One ``Metrics`` per service process or standalone worker process (``symbols worker
--metrics-port``), built by ``symbols.app`` and passed down explicitly to what it
observes; ``metrics_response`` serves it on ``/metrics`` in both:

- HTTP: requests by route/method/status, latency, upload bytes (``api.middleware``).
- Jobs: runs by kind and outcome, run duration (``symbols.workers.Worker``); jobs by state and
  the oldest due queued job's wait, read from the database at scrape time
  (``queue_source``; a database fault only leaves those series out).
- Index building: builds by outcome and their duration (``symbol_sets.pool.IndexBuilder``).
- Pipeline: captured events by outcome, stream batches by outcome and their duration
  (``symbols.workers.pipeline``).
- Resolution: frames by outcome, index loads by source and their duration
  (``symbols.resolve``); the index cache's hits, misses, evictions, bytes and entries,
  read from the cache at scrape time (``track_cache``).
- Capture: requests by outcome (``ok`` or the error code), events by outcome, bytes
  received (``symbols.api.capture``), stream publish duration by backend
  (``symbols.errortracking.ingest``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .db import DatabaseUnavailable

log = logging.getLogger(__name__)

# How long a scrape waits for the job counts before leaving them out.
QUEUE_QUERY_TIMEOUT = 3.0

_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SLOW_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class QueueStats(Protocol):
    """What ``symbols.db.queue.queue_stats`` returns."""

    counts: dict[str, int]
    oldest_due_seconds: float


class CacheView(Protocol):
    """What ``symbols.resolve.cache.IndexCache`` exposes."""

    hits: int
    misses: int
    evictions: int
    bytes: int
    max_bytes: int

    def __len__(self) -> int: ...


class _QueueCollector(Collector):
    """Jobs by state, from the snapshot taken for the scrape in progress (none: no series)."""

    def __init__(self) -> None:
        self.snapshot: QueueStats | None = None

    def describe(self) -> Iterable[Any]:
        return []

    def collect(self) -> Iterable[Any]:
        stats = self.snapshot
        if stats is None:
            return
        by_state = GaugeMetricFamily("symbols_jobs", "Jobs in the queue by state", labels=["state"])
        for state, count in sorted(stats.counts.items()):
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily(
            "symbols_jobs_oldest_due_age_seconds",
            "Seconds the oldest due queued job has been waiting since it became due (0: none)",
            value=stats.oldest_due_seconds,
        )


class _CacheCollector(Collector):
    """The index cache's counters and size, read when scraped."""

    def __init__(self) -> None:
        self.cache: CacheView | None = None

    def describe(self) -> Iterable[Any]:
        return []

    def collect(self) -> Iterable[Any]:
        cache = self.cache
        if cache is None:
            return
        yield CounterMetricFamily(
            "symbols_index_cache_hits", "Index lookups answered from memory", value=cache.hits
        )
        yield CounterMetricFamily(
            "symbols_index_cache_misses", "Index lookups not in memory", value=cache.misses
        )
        yield CounterMetricFamily(
            "symbols_index_cache_evictions",
            "Indexes dropped from memory to stay within SYMBOLS_CACHE_BYTES",
            value=cache.evictions,
        )
        yield GaugeMetricFamily("symbols_index_cache_bytes", "Bytes of indexes in memory", value=cache.bytes)
        yield GaugeMetricFamily(
            "symbols_index_cache_max_bytes", "Memory budget of the index cache", value=cache.max_bytes
        )
        yield GaugeMetricFamily("symbols_index_cache_entries", "Indexes in memory", value=len(cache))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "symbols_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "symbols_http_request_duration_seconds",
            "HTTP request latency by route and method",
            ["route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.upload_bytes = Counter(
            "symbols_upload_bytes",
            "Bytes of symbol set blobs received through the service, by path",
            ["path"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "symbols_job_runs",
            "Job runs by kind and outcome (done, failed_input, retry, dead, lost)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "symbols_job_run_duration_seconds",
            "Time a job's handler ran, by kind",
            ["kind"],
            buckets=_SLOW_BUCKETS,
            registry=self.registry,
        )
        self.index_builds = Counter(
            "symbols_index_builds",
            "Indexes built from uploads by outcome (ok, failed_input, error)",
            ["outcome"],
            registry=self.registry,
        )
        self.index_build_duration = Histogram(
            "symbols_index_build_duration_seconds",
            "Time to parse an upload and build its index (worker and on-demand builds)",
            buckets=_SLOW_BUCKETS,
            registry=self.registry,
        )
        self.resolve_frames = Counter(
            "symbols_resolve_frames",
            "Stack frames resolved, by outcome: resolved or the resolve_failure kind",
            ["outcome"],
            registry=self.registry,
        )
        self.index_loads = Counter(
            "symbols_index_loads",
            "Indexes obtained by the resolver, by source (memory, stored, built)",
            ["source"],
            registry=self.registry,
        )
        self.index_load_duration = Histogram(
            "symbols_index_load_duration_seconds",
            "Time to obtain an index, by source (memory, stored, built)",
            ["source"],
            buckets=_FAST_BUCKETS,
            registry=self.registry,
        )
        self.pipeline_events = Counter(
            "symbols_pipeline_events",
            "Captured events through the pipeline, by outcome (stored, duplicates, suppressed, "
            "undecodable, unknown_project)",
            ["outcome"],
            registry=self.registry,
        )
        self.pipeline_batches = Counter(
            "symbols_pipeline_batches",
            "Stream batches by outcome (done, error: handed back and retried)",
            ["outcome"],
            registry=self.registry,
        )
        self.pipeline_batch_duration = Histogram(
            "symbols_pipeline_batch_duration_seconds",
            "Time to process one stream batch, all stages and the store transaction",
            buckets=_SLOW_BUCKETS,
            registry=self.registry,
        )
        self.capture_batches = Counter(
            "symbols_capture_batches",
            "Capture requests by outcome: ok or the error code answered",
            ["outcome"],
            registry=self.registry,
        )
        self.capture_events = Counter(
            "symbols_capture_events",
            "Captured events by outcome: accepted (durable), refused (401), unavailable (503)",
            ["outcome"],
            registry=self.registry,
        )
        self.capture_bytes = Counter(
            "symbols_capture_bytes", "Bytes of capture request bodies received", registry=self.registry
        )
        self.stream_publish_duration = Histogram(
            "symbols_stream_publish_duration_seconds",
            "Time to make one capture request's events durable, by stream backend",
            ["backend"],
            buckets=_FAST_BUCKETS,
            registry=self.registry,
        )
        self._queue = _QueueCollector()
        self._cache = _CacheCollector()
        self.registry.register(self._queue)
        self.registry.register(self._cache)
        # Reads job counts for a scrape (set by whoever owns the database).
        self.queue_source: Callable[[], Awaitable[QueueStats]] | None = None

    # ------------------------------------------------------------ observers

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def job_ran(self, kind: str, outcome: str, seconds: float) -> None:
        self.job_runs.labels(kind, outcome).inc()
        self.job_duration.labels(kind).observe(seconds)

    def index_built(self, outcome: str, seconds: float) -> None:
        self.index_builds.labels(outcome).inc()
        self.index_build_duration.observe(seconds)

    def index_loaded(self, source: str, seconds: float) -> None:
        self.index_loads.labels(source).inc()
        self.index_load_duration.labels(source).observe(seconds)

    def frames_resolved(self, outcomes: Iterable[str]) -> None:
        for outcome, count in Tally(outcomes).items():
            self.resolve_frames.labels(outcome).inc(count)

    def pipeline_batch(self, outcome: str, seconds: float, events: dict[str, int] | None = None) -> None:
        self.pipeline_batches.labels(outcome).inc()
        self.pipeline_batch_duration.observe(seconds)
        for kind, count in (events or {}).items():
            if count:
                self.pipeline_events.labels(kind).inc(count)

    def captured(self, outcome: str, body_bytes: int, events: int, event_outcome: str) -> None:
        self.capture_batches.labels(outcome).inc()
        self.capture_bytes.inc(body_bytes)
        if events:
            self.capture_events.labels(event_outcome).inc(events)

    def track_cache(self, cache: CacheView) -> None:
        """Export this cache's counters and size (one cache per process)."""
        self._cache.cache = cache

    # ------------------------------------------------------------ exposition

    def render(self, queue: QueueStats | None = None) -> bytes:
        """The text exposition; job-state series only when ``queue`` is given."""
        self._queue.snapshot = queue
        try:
            return generate_latest(self.registry)
        finally:
            self._queue.snapshot = None

    async def scrape(self) -> bytes:
        """``render`` with the job counts read now from ``queue_source``; when the
        database does not answer they are left out (and the fault logged)."""
        queue = None
        if self.queue_source is not None:
            try:
                queue = await asyncio.wait_for(self.queue_source(), QUEUE_QUERY_TIMEOUT)
            except (TimeoutError, DatabaseUnavailable, OSError) as exc:
                log.warning("job counts left out of /metrics: %s", exc)
        return self.render(queue)


async def metrics_response(metrics: Metrics) -> web.Response:
    """The ``/metrics`` answer of a service or worker process."""
    body = await metrics.scrape()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


__all__ = ["CacheView", "Metrics", "QueueStats", "metrics_response"]
