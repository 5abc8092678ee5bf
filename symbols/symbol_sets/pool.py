"""The index process pool: ``build.build_index`` off the event loop, with per-build limits.

``IndexBuilder`` runs builds in at most ``processes`` child processes
(``SYMBOLS_INDEX_PROCESSES``; 0 = a thread of this process), one build at a time each, so
parsing a 13 MB map never blocks the service's event loop nor holds its GIL. Builds queue
for a free child in arrival order, and each is bounded, so one set cannot hold the pool for
other projects longer than the limits:

- ``memory_bytes`` (``SYMBOLS_INDEX_MEMORY_BYTES``): the child's address space
  (``RLIMIT_AS``); a ``MemoryError`` is the set's ``TooLarge`` failure;
- ``timeout_seconds`` (``SYMBOLS_INDEX_TIMEOUT_SECONDS``): wall-clock time of one build;
  past it the child is killed and the set fails with ``IndexTimeout``;
- a child that dies during a build (a signal, the kernel's OOM killer) fails that set with
  ``IndexCrashed``.
A killed or dead child is replaced on the next build. Children die with this process,
even in the middle of a build (``PR_SET_PDEATHSIG`` on Linux; elsewhere they stop at the
end of file on their pipe, once the build in hand is done). One per process, built by
``symbols.app`` and shared by the resolver and an embedded worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

from ..sourcemaps import SourceMap, load_index
from .build import BuildResult, build_index
from .failures import INDEX_CRASHED, INDEX_TIMEOUT, TOO_LARGE, BuildFailure

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from ..metrics import Metrics

# Stored indexes smaller than this are loaded on the event loop (cheaper than a thread).
_INLINE_LOAD_BYTES = 256 * 1024
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1


def _pool_context():
    # spawn: a child starts from a clean interpreter (not a fork of a process holding
    # event-loop, boto3 and database threads) and is this process's own child, so the
    # kernel can kill it when this process dies (a forkserver would be its parent).
    return multiprocessing.get_context("spawn")


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies, and name it ``symbols-index`` (in
    ``ps -o comm`` and /proc/PID/comm) once it is so tied. Linux only; elsewhere the
    pipe's end of file stops it."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)
    libc.prctl(_PR_SET_NAME, b"symbols-index", 0, 0, 0)


def _serve(conn: Connection, memory_bytes: int, parent: int) -> None:
    """A child: build each blob received on ``conn`` and send back its BuildResult."""
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the parent decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            blob = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            result = build_index(blob)
        except MemoryError:
            result = BuildResult(failure=BuildFailure(
                TOO_LARGE, f"out_of_memory: building the index needs more than {memory_bytes} "
                           "bytes of address space"))
        del blob
        conn.send(result)


class _Gone(Exception):
    """A child found dead before it got the blob (not the blob's fault)."""


class _Child:
    """One child process and the parent's end of its pipe."""

    def __init__(self, memory_bytes: int) -> None:
        ctx = _pool_context()
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_end, memory_bytes, os.getpid()), daemon=True,
                                   name="symbols-index")
        self.process.start()
        child_end.close()

    def build(self, blob: bytes, timeout: float) -> BuildResult:
        """One build; raises TimeoutError past ``timeout``, EOFError/OSError if the child
        died, and _Gone if it was dead before it got the blob."""
        try:
            self.conn.send_bytes(blob)
        except OSError as exc:
            raise _Gone from exc
        if not self.conn.poll(timeout if timeout > 0 else None):
            raise TimeoutError
        return self.conn.recv()

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class IndexBuilder:
    """Runs ``build_index`` in up to ``processes`` children (``processes`` > 0) or in a
    thread (``processes`` == 0, where ``timeout_seconds`` only stops the wait). With
    ``metrics``, every build is counted by outcome (ok, failed_input, error) and timed."""

    def __init__(
        self,
        processes: int = 1,
        *,
        metrics: Metrics | None = None,
        memory_bytes: int = 0,
        timeout_seconds: float = 0.0,
    ) -> None:
        self.processes = processes
        self.metrics = metrics
        self.memory_bytes = memory_bytes
        self.timeout_seconds = timeout_seconds
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._idle: list[_Child] = []
        self._children: set[_Child] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        # One thread per child: the threads are the queue, in arrival order.
        with self._lock:
            if self._threads is None:
                self._threads = concurrent.futures.ThreadPoolExecutor(
                    max(self.processes, 1), thread_name_prefix="index"
                )
            return self._threads

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
        loop = asyncio.get_running_loop()
        if self.processes == 0:
            work = loop.run_in_executor(self._executor(), build_index, blob)
            try:
                return await asyncio.wait_for(work, self.timeout_seconds or None)
            except TimeoutError:
                return _timed_out(self.timeout_seconds)
        return await loop.run_in_executor(self._executor(), self._in_child, blob)

    def _in_child(self, blob: bytes) -> BuildResult:
        """One build in a free child (runs in one of the pool's threads)."""
        child = self._take()
        try:
            try:
                result = child.build(blob, self.timeout_seconds)
            except _Gone:
                self._drop(child)
                child = self._take()
                result = child.build(blob, self.timeout_seconds)
        except TimeoutError:
            self._drop(child)
            return _timed_out(self.timeout_seconds)
        except (EOFError, OSError) as exc:
            child.process.join(1)
            code = child.process.exitcode
            self._drop(child)
            if self._closed:
                raise
            return BuildResult(failure=BuildFailure(
                INDEX_CRASHED, f"index_process_died: the index process ended ({_exit_words(code)}) "
                               f"while building this set: {type(exc).__name__}"))
        self._give_back(child)
        return result

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                self._children.discard(child)
                child.kill()
            if self._closed:
                raise RuntimeError("the index builder is closed")
            child = _Child(self.memory_bytes)
            self._children.add(child)
            return child

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(child)
                return
        self._drop(child)

    def _drop(self, child: _Child) -> None:
        with self._lock:
            self._children.discard(child)
        child.kill()

    def pids(self) -> list[int]:
        """The children's process ids (tests, diagnostics)."""
        with self._lock:
            return [c.process.pid for c in self._children if c.process.pid is not None]

    async def load(self, data: bytes) -> SourceMap:
        """A stored index back as a SourceMap (in a thread when it is large)."""
        if len(data) < _INLINE_LOAD_BYTES:
            return load_index(data)
        return await asyncio.to_thread(load_index, data)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            children, self._children, self._idle = list(self._children), set(), []
            threads, self._threads = self._threads, None
        for child in children:
            child.kill()
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)


def _timed_out(seconds: float) -> BuildResult:
    return BuildResult(failure=BuildFailure(
        INDEX_TIMEOUT, f"timeout: building the index took more than {seconds:g} s"))


def _exit_words(code: int | None) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else f"signal {-code}"
    return f"exit status {code}"


__all__ = ["IndexBuilder"]
