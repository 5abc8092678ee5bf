"""The worker loop: ``concurrency`` slots, each claiming and running one job at a time, and
``fetch_slots`` more for the jobs that wait on other hosts (``FETCH_SCRIPT``, up to its time
cap), so a slow origin never holds back the processing of uploads.

    worker = Worker(deps, concurrency=2, lease_seconds=60)
    await worker.run()          # until worker.stop(); burst=True: until the queue is empty

``stop()`` (SIGTERM in ``symbols worker``, shutdown of ``symbols serve``) lets every
slot finish the job in hand, then ``run`` returns. While a job runs its lease is
renewed every third of ``lease_seconds``, for at most ``job_timeout`` seconds (then the
job is stopped and counted as a failed attempt, retried with backoff); a worker that dies stops renewing, and the
job is claimed again once the lease has run out.

With ``metrics`` every run is counted by kind and outcome (``done``, ``failed_input``,
``retry``, ``dead``, ``lost``) and timed. ``health()`` says whether the loop is alive:
running, and polled the queue within 3 poll intervals (or busy with a job).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..db import DatabaseUnavailable, queue
from ..db.jobs import FETCH_SCRIPT
from .handlers import HANDLERS, Deps, Handler, Retry

if TYPE_CHECKING:
    from ..metrics import Metrics

log = logging.getLogger("workers.worker")

_INFRA_ERRORS = (DatabaseUnavailable, OSError)
# Job kinds that mostly wait on the network: they run in their own slots.
_NETWORK_KINDS = frozenset({FETCH_SCRIPT})


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# A worker is healthy while it has polled the queue within this many poll intervals.
HEALTHY_POLL_INTERVALS = 3


@dataclass(frozen=True)
class Health:
    ok: bool
    running: bool
    busy: int
    seconds_since_poll: float | None

    def as_dict(self) -> dict:
        return {
            "status": "ok" if self.ok else "unavailable",
            "running": self.running,
            "busy_slots": self.busy,
            "seconds_since_poll": None if self.seconds_since_poll is None else round(self.seconds_since_poll, 3),
        }


class Worker:
    def __init__(
        self,
        deps: Deps,
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        concurrency: int = 1,
        fetch_slots: int = 2,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        backoff_base: float = 5.0,
        backoff_cap: float = 3600.0,
        job_timeout: float = 0.0,
        worker_id: str | None = None,
        burst: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        if concurrency < 1 or fetch_slots < 1:
            raise ValueError("concurrency and fetch_slots must be at least 1")
        self.deps = deps
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.fetch_slots = fetch_slots
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.job_timeout = job_timeout
        self.worker_id = worker_id or default_worker_id()
        self.burst = burst
        self.metrics = metrics
        self.stats: Counter[str] = Counter()
        # Liveness: whether run() is in progress, when a slot last reached the queue
        # (time.monotonic), how many slots are running a job.
        self.running = False
        self.last_poll: float | None = None
        self.busy = 0
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def stop(self) -> None:
        """Finish the jobs in hand, claim no more."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Look for jobs now instead of at the next poll."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def health(self, now: float | None = None) -> Health:
        """Alive: ``run`` in progress and a slot polled the queue within
        ``HEALTHY_POLL_INTERVALS`` poll intervals, or a slot is running a job. A failed
        poll (database down) does not count."""
        now = time.monotonic() if now is None else now
        since = None if self.last_poll is None else max(now - self.last_poll, 0.0)
        fresh = since is not None and since <= HEALTHY_POLL_INTERVALS * self.poll_seconds
        ok = self.running and not self.stopping and (self.busy > 0 or fresh)
        return Health(ok, self.running, self.busy, since)

    async def run(self) -> None:
        log.info("worker %s started (%d slots)", self.worker_id, self.concurrency)
        self.running = True
        try:
            local = sorted(set(self.handlers) - _NETWORK_KINDS)
            network = sorted(set(self.handlers) & _NETWORK_KINDS)
            if not local:  # a worker for network jobs only: all its slots take them
                local, network = network, []
            slots = [self._slot(local) for _ in range(self.concurrency)]
            if network:
                slots += [self._slot(network) for _ in range(self.fetch_slots)]
            await asyncio.gather(*slots)
        finally:
            self.running = False
        log.info("worker %s stopped", self.worker_id, extra={"stats": dict(self.stats)})

    async def run_burst(self) -> Counter[str]:
        """Run until no job is due (tests, ``symbols worker --burst``)."""
        self.burst = True
        await self.run()
        return self.stats

    async def _idle(self) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        except TimeoutError:
            pass

    async def _slot(self, kinds: list[str]) -> None:
        while not self.stopping:
            try:
                job = await queue.claim(self.deps.db, self.worker_id, lease_seconds=self.lease_seconds, kinds=kinds)
            except _INFRA_ERRORS as exc:
                log.warning("cannot claim jobs: %s", exc)
                self.stats["claim_errors"] += 1
                await self._idle()
                continue
            self.last_poll = time.monotonic()
            if job is None:
                if self.burst:
                    return
                await self._idle()
                continue
            self.busy += 1
            try:
                await self._run(job)
            finally:
                self.busy -= 1
                self.last_poll = time.monotonic()

    async def _run(self, job: queue.Job) -> None:
        handler = self.handlers[job.kind]
        extra = {"job_id": job.id, "kind": job.kind, "attempt": job.attempts}
        log.info("job %s started", job.id, extra=extra)
        start = time.perf_counter()
        beat = asyncio.create_task(self._heartbeat(job))
        error: str | None = None
        outcome: str | None = None
        try:
            async with asyncio.timeout(self.job_timeout or None):
                outcome = await handler(self.deps, job)
        except TimeoutError:
            log.warning("job %s ran past its time limit of %g s", job.id, self.job_timeout, extra=extra)
            error = f"time limit: the job ran more than {self.job_timeout:g} s"
        except Retry as exc:
            error = str(exc) or "retry requested"
        except Exception as exc:
            log.exception("job %s raised", job.id, extra=extra)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            beat.cancel()
        seconds = time.perf_counter() - start
        extra["duration_ms"] = round(seconds * 1000, 1)
        try:
            if error is None:
                owned = await queue.complete(self.deps.db, job)
                state = "done" if owned else None
            else:
                state = await queue.fail(
                    self.deps.db, job, error, backoff_base=self.backoff_base, backoff_cap=self.backoff_cap
                )
        except _INFRA_ERRORS as exc:
            # The lease will run out and the job run again: handlers are idempotent.
            log.warning("job %s: outcome not recorded: %s", job.id, exc, extra=extra)
            self.stats["unrecorded"] += 1
            self._observe(job, "lost", seconds)
            return
        if state is None:
            log.warning("job %s: lease lost to another worker; outcome dropped", job.id, extra=extra)
            self.stats["lost"] += 1
            self._observe(job, "lost", seconds)
            return
        self.stats[{"done": "done", "queued": "retried", "dead": "dead"}[state]] += 1
        if state == "done":
            self._observe(job, outcome if isinstance(outcome, str) else "done", seconds)
        else:
            self._observe(job, "retry" if state == "queued" else "dead", seconds)
        log.info("job %s %s", job.id, state, extra=extra | ({"error": error} if error else {}))

    def _observe(self, job: queue.Job, outcome: str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.job_ran(job.kind, outcome, seconds)

    async def _heartbeat(self, job: queue.Job) -> None:
        interval = max(self.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                if not await queue.heartbeat(self.deps.db, job, lease_seconds=self.lease_seconds):
                    log.warning("job %s: lease lost", job.id)
                    return
            except _INFRA_ERRORS as exc:
                log.warning("job %s: lease not renewed: %s", job.id, exc)


def worker_from_settings(settings, deps: Deps, *, concurrency: int | None = None, **kwargs) -> Worker:
    """A Worker configured by ``Settings`` (lease, poll, backoff, concurrency)."""
    return Worker(
        deps,
        concurrency=concurrency or settings.worker_concurrency,
        lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.job_poll_seconds,
        backoff_base=settings.job_retry_base_seconds,
        backoff_cap=settings.job_retry_max_seconds,
        job_timeout=settings.job_timeout_seconds,
        **kwargs,
    )

__all__ = ["HEALTHY_POLL_INTERVALS", "Health", "Worker", "default_worker_id", "worker_from_settings"]
