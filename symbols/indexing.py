"""Building a symbol set's lookup index from its blob, off the event loop.

``build_index(blob)`` is a pure function (unpack the container, parse the map with the
engine, passing the minified source when the blob carries it, serialise the index).
``IndexBuilder`` runs it in a process pool (``SYMBOLS_INDEX_PROCESSES``; 0 = a thread),
so parsing a 13 MB map never blocks the service's event loop nor holds its GIL.

Input faults come back as a ``BuildFailure`` (stored as the set's ``failure_reason``);
anything else raised is an infrastructure fault the caller may retry.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from .container import ContainerError, unpack
from .db import Database
from .db.symbol_sets import mark_processed, record_failure
from .sourcemaps import SourceMap, SourceMapError, parse_source_map
from .sourcemaps import load_index as engine_load_index
from .storage import BlobNotFound, BlobStore, BlobStoreUnavailable

if TYPE_CHECKING:
    from .api.metrics import Metrics

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".index"

# failure_reason kinds (PostHog's shape: {"JavaScript": {kind: message}}).
INVALID_SOURCE_MAP = "InvalidSourceMap"
INVALID_SOURCE_AND_MAP = "InvalidSourceAndMap"
MISSING_CHUNK_ID_DATA = "MissingChunkIdData"


def index_key(storage_ptr: str) -> str:
    """Where the index of the blob at ``storage_ptr`` is stored."""
    return storage_ptr + INDEX_SUFFIX


@dataclass(frozen=True)
class BuildFailure:
    kind: str
    message: str

    def failure_reason(self) -> str:
        """The JSON text stored in ``symbol_sets.failure_reason``."""
        return orjson.dumps({"JavaScript": {self.kind: self.message}}).decode()


@dataclass(frozen=True)
class BuildResult:
    index: bytes | None = None
    failure: BuildFailure | None = None
    has_scopes: bool = False
    # Why function scopes could not be built although the blob has the minified source.
    scope_error: str | None = None
    seconds: float = 0.0


def parse_failure(reason: str | None) -> tuple[str, str] | None:
    """(kind, message) of a stored failure_reason, or None when it is empty or unreadable."""
    if not reason:
        return None
    try:
        data = orjson.loads(reason)
        [(kind, message)] = data["JavaScript"].items()
        return str(kind), str(message)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return "Unknown", reason


def build_index(blob: bytes) -> BuildResult:
    """Unpack, parse and serialise one symbol set blob (runs in a worker process)."""
    start = time.perf_counter()
    try:
        content = unpack(blob)
    except ContainerError as exc:
        return BuildResult(failure=BuildFailure(INVALID_SOURCE_AND_MAP, f"{exc.code}: {exc}"))
    source_map, scope_error = _parse(content.source_map, content.minified_source)
    if isinstance(source_map, BuildFailure):
        return BuildResult(failure=source_map)
    return BuildResult(
        index=dump_index(source_map),
        has_scopes=source_map.scopes is not None,
        scope_error=scope_error,
        seconds=time.perf_counter() - start,
    )


def parse_blob(blob: bytes) -> SourceMap | BuildFailure:
    """The decoded map of a blob, without building an index (benchmarks, debugging)."""
    try:
        content = unpack(blob)
    except ContainerError as exc:
        return BuildFailure(INVALID_SOURCE_AND_MAP, f"{exc.code}: {exc}")
    return _parse(content.source_map, content.minified_source)[0]


def _parse(map_bytes: bytes, minified: bytes | None) -> tuple[SourceMap | BuildFailure, str | None]:
    try:
        if minified is None:
            return parse_source_map(map_bytes), None
        try:
            return parse_source_map(map_bytes, minified_source=minified), None
        except SourceMapError:
            raise
        except Exception as exc:  # noqa: BLE001 - scopes are a bonus; positions still resolve
            log.warning("function scopes not built: %r", exc)
            return parse_source_map(map_bytes), f"{type(exc).__name__}: {exc}"
    except SourceMapError as exc:
        return BuildFailure(INVALID_SOURCE_MAP, f"{exc.code}: {exc.message}"), None


def dump_index(source_map: SourceMap) -> bytes:
    return source_map.to_index_bytes()


def load_index(data: bytes) -> SourceMap:
    """A stored index back as a SourceMap (raises the engine's InvalidIndexError)."""
    return engine_load_index(data)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent decides when children stop.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_context():
    # forkserver: children start from a clean process, not a fork of one holding
    # event-loop, boto3 and database threads.
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


class IndexBuilder:
    """Runs ``build_index`` in a lazily started process pool (``processes`` > 0) or in
    a thread (``processes`` == 0). Shared by the resolver and an embedded worker.
    With ``metrics``, every build is counted by outcome (ok, failed_input, error) and
    timed."""

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
        """Load a stored index in a thread (cheap, but large ones copy megabytes)."""
        if len(data) < 256 * 1024:
            return load_index(data)
        return await asyncio.to_thread(load_index, data)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class StorageUnavailable(Exception):
    """The blob store failed while building an index: try again later."""


async def build_and_store(
    db: Database, store: BlobStore, builder: IndexBuilder, set_id: str, storage_ptr: str
) -> BuildFailure | None:
    """Build the index of the blob at ``storage_ptr``, store it at ``{ptr}.index`` and
    mark the set processed; or record on the set why its blob cannot be used. Used by
    the worker's ``process_symbol_set`` and the resolver's on-demand build. Returns the
    recorded failure, None on success. Raises StorageUnavailable for transient faults."""
    try:
        blob = await store.get_bytes(storage_ptr)
    except BlobNotFound:
        failure = BuildFailure(MISSING_CHUNK_ID_DATA, f"the uploaded file is missing from storage ({storage_ptr})")
        async with db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, failure.failure_reason())
        return failure
    except BlobStoreUnavailable as exc:
        raise StorageUnavailable(f"blob store unavailable: {exc}") from exc
    result = await builder.build(blob)
    if result.failure is not None:
        async with db.begin() as conn:
            await record_failure(conn, set_id, storage_ptr, result.failure.failure_reason())
        return result.failure
    if result.scope_error:
        log.warning("symbol set %s: no function scopes (%s)", set_id, result.scope_error)
    try:
        await store.put_bytes(index_key(storage_ptr), result.index)
    except BlobStoreUnavailable as exc:
        raise StorageUnavailable(f"blob store unavailable: {exc}") from exc
    async with db.begin() as conn:
        await mark_processed(conn, set_id, storage_ptr)
    return None


__all__ = [
    "INDEX_SUFFIX",
    "INVALID_SOURCE_AND_MAP",
    "INVALID_SOURCE_MAP",
    "MISSING_CHUNK_ID_DATA",
    "BuildFailure",
    "BuildResult",
    "IndexBuilder",
    "StorageUnavailable",
    "build_and_store",
    "build_index",
    "index_key",
    "load_index",
    "parse_blob",
    "parse_failure",
]
