"""The index process pool: ``build.build_index`` off the event loop.

``IndexBuilder`` runs builds in a lazily started process pool (``SYMBOLS_INDEX_PROCESSES``;
0 = a thread), so parsing a 13 MB map never blocks the service's event loop nor holds its
GIL. One per process, built by ``symbols.app`` and shared by the resolver and an
embedded worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

from ..sourcemaps import SourceMap, load_index
from .build import BuildResult, build_index

if TYPE_CHECKING:
    from ..metrics import Metrics

# Stored indexes smaller than this are loaded on the event loop (cheaper than a thread).
_INLINE_LOAD_BYTES = 256 * 1024


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_context():
    # forkserver: children start from a clean process, not a fork of one holding
    # event-loop, boto3 and database threads.
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


class IndexBuilder:
    """Runs ``build_index`` in a lazily started process pool (``processes`` > 0) or in
    a thread (``processes`` == 0). With ``metrics``, every build is counted by outcome
    (ok, failed_input, error) and timed."""

    def __init__(self, processes: int = 1, *, metrics: Metrics | None = None) -> None:
        self.processes = processes
        self.metrics = metrics
        self._pool: concurrent.futures.Executor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.Executor:
        with self._lock:
            if self._pool is None:
                if self.processes > 0:
                    self._pool = concurrent.futures.ProcessPoolExecutor(
                        max_workers=self.processes, mp_context=_pool_context(), initializer=_ignore_interrupts
                    )
                else:
                    self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="index")
            return self._pool

    async def build(self, blob: bytes) -> BuildResult:
        start = time.perf_counter()
        outcome = "error"
        try:
            result = await self._build(blob)
            outcome = "ok" if result.failure is None else "failed_input"
            return result
        finally:
            if self.metrics is not None:
                self.metrics.index_built(outcome, time.perf_counter() - start)

    async def _build(self, blob: bytes) -> BuildResult:
        pool = self._executor()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, build_index, blob)
        except concurrent.futures.process.BrokenProcessPool:
            # A child died (out of memory, killed): start a fresh pool next time.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def load(self, data: bytes) -> SourceMap:
        """A stored index back as a SourceMap (in a thread when it is large)."""
        if len(data) < _INLINE_LOAD_BYTES:
            return load_index(data)
        return await asyncio.to_thread(load_index, data)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["IndexBuilder"]
