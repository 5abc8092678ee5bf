"""Frame resolution: stack frames -> symbol sets -> original file, line, function, context.

The layers, assembled by ``Resolution.create`` (one per service process):

    Resolver        frames of one request: find each frame's set (chunk id, then URL),
                    look positions up, shape the resolved frames, explain the steps
      IndexLoader   one set's SourceMap: memory -> stored index -> build from the blob
        IndexCache  loaded indexes, LRU bounded in bytes (SYMBOLS_CACHE_BYTES)
        single-flight: concurrent requests for one set share one load or build
        IndexBuilder  (symbols.indexing) parses maps in a process pool, off the loop

Each layer takes an optional ``Metrics`` (frames by outcome, index loads by source and
their duration; the cache's counters are read from it at scrape time).

One bad frame never fails the request: every fault becomes the frame's typed
``resolve_failure`` (``ResolveFailure.kind``), and ``explain`` says which step found what.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.exc import DBAPIError

from .db import Database, DatabaseUnavailable
from .db.symbol_sets import SymbolSet, get_symbol_sets_by_refs, touch_last_used_many
from .db.types import utcnow
from .indexing import IndexBuilder, StorageUnavailable, build_and_store, index_key, parse_failure
from .sourcemaps import SourceMap, SourceMapError
from .storage import BlobNotFound, BlobStore, BlobStoreUnavailable

if TYPE_CHECKING:
    from .api.metrics import Metrics

log = logging.getLogger(__name__)

# resolve_failure kinds.
NO_URL_OR_CHUNK_ID = "NoUrlOrChunkId"
NO_POSITION = "NoLineOrColumn"
NO_SOURCEMAP_UPLOADED = "NoSourcemapUploaded"
SYMBOL_SET_FAILED = "SymbolSetFailed"
INVALID_SOURCE_MAP = "InvalidSourceMap"
STORAGE_UNAVAILABLE = "StorageUnavailable"
TOKEN_NOT_FOUND = "TokenNotFound"

DEFAULT_CONTEXT_LINES = 5
MAX_CONTEXT_LINES = 50
# Context lines longer than this are cut (minified sources would bloat responses).
MAX_CONTEXT_LINE_CHARS = 1000
LAST_USED_REFRESH = timedelta(hours=12)
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")


class ResolveFailure(Exception):
    """Why one frame (or every frame of one set) cannot be resolved."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Frame:
    """An input frame, validated (positions 1-based, as in stack traces)."""

    filename: str | None
    function: str | None
    lineno: int | None
    colno: int | None
    in_app: bool | None = None
    chunk_id: str | None = None
    platform: str | None = None

    @property
    def raw_id(self) -> str:
        """A stable id of the frame's identifying fields (sha256, 32 hex digits)."""
        key = [self.platform, self.filename, self.function, self.lineno, self.colno, self.chunk_id]
        return hashlib.sha256(orjson.dumps(key)).hexdigest()[:32]


# ---------------------------------------------------------------- loaded indexes


# LoadedIndex.origin: where an index was loaded from (shown by explain).
STORED = "stored index"
BUILT = "built from the upload now"


@dataclass
class LoadedIndex:
    source_map: SourceMap
    size: int
    origin: str = ""
    _lines: dict[int, list[str] | None] = field(default_factory=dict)

    def lines(self, source_index: int) -> list[str] | None:
        """The original source's lines (split once, kept with the index)."""
        if source_index not in self._lines:
            content = self.source_map.source_content(source_index)
            self._lines[source_index] = None if content is None else _LINE_BREAK.split(content)
        return self._lines[source_index]


class IndexCache:
    """Least-recently-used loaded indexes, bounded by the sum of their sizes in bytes
    (the stored index's length: the arrays are loaded from it nearly one to one). An
    index larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        # Running totals, exported by Metrics.track_cache.
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._entries: OrderedDict[str, LoadedIndex] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> LoadedIndex | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: LoadedIndex) -> None:
        self.discard(key)
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
            self.evictions += 1

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size


class IndexLoader:
    """One symbol set's loaded index: cache, else the stored index, else built from the
    blob (and stored, and the set marked processed), with one load per set at a time."""

    def __init__(
        self,
        db: Database,
        store: BlobStore,
        builder: IndexBuilder,
        cache: IndexCache,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.builder = builder
        self.cache = cache
        self.metrics = metrics
        self._inflight: dict[str, asyncio.Future[LoadedIndex]] = {}

    async def get(self, symbol_set: SymbolSet, steps: list[dict]) -> LoadedIndex:
        ptr = symbol_set.storage_ptr
        assert ptr is not None
        key = f"{symbol_set.id}:{ptr}"
        start = time.perf_counter()
        cached = self.cache.get(key)
        if cached is not None:
            self._observe("memory", start)
            steps.append(_step("index_load", True, f"in memory ({cached.size} bytes, {cached.origin})"))
            return cached
        inflight = self._inflight.get(key)
        if inflight is None:
            inflight = asyncio.ensure_future(self._load(symbol_set, ptr))
            self._inflight[key] = inflight
            inflight.add_done_callback(lambda _f: self._inflight.pop(key, None))
        try:
            # shield: one caller giving up (client gone) must not cancel the others' load.
            loaded = await asyncio.shield(inflight)
        except ResolveFailure as exc:
            steps.append(_step("index_load", False, exc.detail))
            raise
        self.cache.put(key, loaded)
        steps.append(_step("index_load", True, f"{loaded.origin} ({loaded.size} bytes)"))
        return loaded

    def _observe(self, source: str, start: float) -> None:
        if self.metrics is not None:
            self.metrics.index_loaded(source, time.perf_counter() - start)

    async def _load(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        """One actual load (shared by concurrent callers), counted by its source."""
        start = time.perf_counter()
        loaded = await self._load_or_build(symbol_set, ptr)
        self._observe("built" if loaded.origin == BUILT else "stored", start)
        return loaded

    async def _load_or_build(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        try:
            data = await self.store.get_bytes(index_key(ptr))
        except BlobNotFound:
            data = None
        except BlobStoreUnavailable as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"blob store unavailable: {exc}") from exc
        if data is not None:
            try:
                return LoadedIndex(await self.builder.load(data), len(data), STORED)
            except SourceMapError as exc:
                log.warning("stored index of %s unreadable (%s); rebuilding", symbol_set.id, exc)
        return await self._build(symbol_set, ptr)

    async def _build(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        try:
            failure = await build_and_store(self.db, self.store, self.builder, symbol_set.id, ptr)
        except StorageUnavailable as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, str(exc)) from exc
        except (DBAPIError, DatabaseUnavailable, OSError) as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"index build failed: {exc}") from exc
        if failure is not None:
            kind = INVALID_SOURCE_MAP if failure.kind == INVALID_SOURCE_MAP else SYMBOL_SET_FAILED
            raise ResolveFailure(kind, f"built from the upload: {failure.kind}: {failure.message}")
        try:
            data = await self.store.get_bytes(index_key(ptr))
            return LoadedIndex(await self.builder.load(data), len(data), BUILT)
        except (BlobNotFound, BlobStoreUnavailable, SourceMapError) as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"index built but not readable: {exc}") from exc


# ---------------------------------------------------------------- resolution


def _step(step: str, found: bool, detail: str) -> dict:
    return {"step": step, "found": found, "detail": detail}


def _strip_query(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def _is_in_app_path(path: str | None) -> bool:
    return not (path and "node_modules" in path)


def _clip(line: str) -> str:
    return line if len(line) <= MAX_CONTEXT_LINE_CHARS else line[:MAX_CONTEXT_LINE_CHARS] + "…"


def source_context(lines: list[str] | None, line: int, count: int) -> dict | None:
    """``count`` lines around 0-based ``line``; numbers are 1-based."""
    if lines is None or not 0 <= line < len(lines):
        return None
    before = [{"number": n + 1, "line": _clip(lines[n])} for n in range(max(0, line - count), line)]
    after = [{"number": n + 1, "line": _clip(lines[n])} for n in range(line + 1, min(len(lines), line + 1 + count))]
    return {"before": before, "line": {"number": line + 1, "line": _clip(lines[line])}, "after": after}


def function_name(source_map: SourceMap, line: int, column: int, token_name: str | None, frame: Frame) -> str | None:
    """The original name of the function a frame is in.

    With a scope table (built from the minified source) the enclosing function's name is
    the answer; where there is none the position is top-level code, and the token's name
    is NOT used (at a call site it names the callee): the frame's own name, else null.
    Without a scope table: the token's name, then the frame's (minified) name.
    """
    if source_map.scopes is not None:
        name = source_map.function_name(line, column)
        return name if name is not None else frame.function
    return token_name or frame.function


def unresolved(frame: Frame, kind: str) -> dict:
    return {
        "raw_id": frame.raw_id,
        "mangled_name": frame.function,
        "line": frame.lineno,
        "column": frame.colno,
        "source": frame.filename,
        "in_app": frame.in_app if frame.in_app is not None else _is_in_app_path(frame.filename),
        "resolved_name": frame.function,
        "lang": "javascript",
        "resolved": False,
        "resolve_failure": kind,
        "context": None,
    }


class Resolver:
    def __init__(
        self, db: Database, loader: IndexLoader, *, load_concurrency: int = 8, metrics: Metrics | None = None
    ) -> None:
        self.db = db
        self.loader = loader
        self.metrics = metrics
        self._load_limit = asyncio.Semaphore(load_concurrency)

    async def resolve(
        self,
        project_id: int,
        frames: list[Frame],
        *,
        context_lines: int = DEFAULT_CONTEXT_LINES,
        explain: bool = False,
    ) -> list[dict]:
        """Resolved frames, in order, one per input frame."""
        traces: list[list[dict]] = [[] for _ in frames]
        sets_for = await self._find_sets(project_id, frames, traces)

        loads: dict[str, asyncio.Task] = {}
        load_steps: dict[str, list[dict]] = {}
        for symbol_set in {s.id: s for s in sets_for if s is not None}.values():
            if _usable(symbol_set) is None:
                load_steps[symbol_set.id] = []
                loads[symbol_set.id] = asyncio.ensure_future(self._load(symbol_set, load_steps[symbol_set.id]))
        if loads:
            await asyncio.wait(loads.values())

        out = []
        for frame, symbol_set, steps in zip(frames, sets_for, traces):
            result = self._resolve_one(frame, symbol_set, steps, loads, load_steps, context_lines)
            if explain:
                result["explain"] = steps
            out.append(result)
        if self.metrics is not None:
            self.metrics.frames_resolved("resolved" if r["resolved"] else r["resolve_failure"] for r in out)
        await self._touch([s for s in sets_for if s is not None])
        return out

    async def _load(self, symbol_set: SymbolSet, steps: list[dict]) -> LoadedIndex:
        async with self._load_limit:
            return await self.loader.get(symbol_set, steps)

    async def _find_sets(self, project_id: int, frames: list[Frame], traces) -> list[SymbolSet | None]:
        chunk_ids = {f.chunk_id for f in frames if f.chunk_id}
        urls = {u for f in frames if f.filename for u in (f.filename, _strip_query(f.filename))}
        async with self.db.connect() as conn:
            by_ref = await get_symbol_sets_by_refs(conn, project_id, chunk_ids | urls)
        found: list[SymbolSet | None] = []
        for frame, steps in zip(frames, traces):
            symbol_set = None
            if frame.chunk_id:
                symbol_set = by_ref.get(frame.chunk_id)
                steps.append(_step(
                    "chunk_id_lookup",
                    symbol_set is not None,
                    f"symbol set {symbol_set.id} has ref {frame.chunk_id!r}" if symbol_set
                    else f"no symbol set of this project has ref {frame.chunk_id!r}",
                ))
            else:
                steps.append(_step("chunk_id_lookup", False, "the frame has no chunk_id"))
            if symbol_set is None:
                if frame.filename:
                    for url in dict.fromkeys((frame.filename, _strip_query(frame.filename))):
                        symbol_set = by_ref.get(url)
                        if symbol_set is not None:
                            break
                    steps.append(_step(
                        "url_lookup",
                        symbol_set is not None,
                        f"symbol set {symbol_set.id} has ref {symbol_set.ref!r}" if symbol_set
                        else f"no symbol set of this project has ref {frame.filename!r}",
                    ))
                else:
                    steps.append(_step("url_lookup", False, "the frame has no filename"))
            found.append(symbol_set)
        return found

    def _resolve_one(self, frame, symbol_set, steps, loads, load_steps, context_lines) -> dict:
        if symbol_set is None:
            kind = NO_SOURCEMAP_UPLOADED if (frame.chunk_id or frame.filename) else NO_URL_OR_CHUNK_ID
            return unresolved(frame, kind)
        problem = _usable(symbol_set)
        if problem is not None:
            steps.append(_step("symbol_set", False, problem.detail))
            return unresolved(frame, problem.kind)
        steps.append(_step("symbol_set", True, f"uploaded {symbol_set.uploaded_at.isoformat()}"))
        task = loads[symbol_set.id]
        steps.extend(load_steps[symbol_set.id])
        if task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ResolveFailure):
                log.error("loading symbol set %s failed", symbol_set.id, exc_info=exc)
                steps.append(_step("index_load", False, f"internal error: {type(exc).__name__}"))
                return unresolved(frame, STORAGE_UNAVAILABLE)
            return unresolved(frame, exc.kind)
        loaded: LoadedIndex = task.result()
        if frame.lineno is None or frame.colno is None:
            steps.append(_step("position_lookup", False, "the frame has no line or column"))
            return unresolved(frame, NO_POSITION)
        source_map = loaded.source_map
        line, column = frame.lineno - 1, frame.colno - 1
        token = source_map.lookup(line, column)
        if token is None:
            steps.append(_step(
                "position_lookup",
                False,
                f"no mapping at or before line {frame.lineno}, column {frame.colno} on that line "
                f"(the map covers {source_map.line_count} generated lines)",
            ))
            return unresolved(frame, TOKEN_NOT_FOUND)
        steps.append(_step(
            "position_lookup",
            True,
            f"line {frame.lineno}, column {frame.colno} -> {token.source}:{token.line + 1}:{token.column + 1}",
        ))
        name = function_name(source_map, line, column, token.name, frame)
        how = "enclosing function from scopes" if source_map.scopes is not None else "no scopes: token or frame name"
        steps.append(_step("function_name", name is not None, f"{how}: {name!r}"))
        in_app = _is_in_app_path(token.source) and not source_map.is_ignored(token.source_index)
        return {
            "raw_id": frame.raw_id,
            "mangled_name": frame.function,
            "line": token.line + 1,
            "column": token.column + 1,
            "source": token.source,
            "in_app": in_app,
            "resolved_name": name,
            "lang": "javascript",
            "resolved": True,
            "resolve_failure": None,
            "context": source_context(loaded.lines(token.source_index), token.line, context_lines)
            if context_lines >= 0 else None,
        }

    async def _touch(self, sets: list[SymbolSet]) -> None:
        """Refresh ``last_used`` at most every 12 hours per set."""
        now = utcnow()
        stale = {s.id for s in sets if s.last_used is None or now - s.last_used > LAST_USED_REFRESH}
        if not stale:
            return
        try:
            async with self.db.begin() as conn:
                await touch_last_used_many(conn, stale)
        except (DBAPIError, DatabaseUnavailable, OSError) as exc:
            log.warning("last_used not updated: %s", exc)


def _usable(symbol_set: SymbolSet) -> ResolveFailure | None:
    if symbol_set.failure_reason:
        kind, message = parse_failure(symbol_set.failure_reason)
        return ResolveFailure(SYMBOL_SET_FAILED, f"symbol set {symbol_set.id} failed processing: {kind}: {message}")
    if symbol_set.storage_ptr is None or symbol_set.uploaded_at is None:
        return ResolveFailure(NO_SOURCEMAP_UPLOADED, f"symbol set {symbol_set.id} exists but its upload is not finished")
    return None


@dataclass
class Resolution:
    """Everything resolution needs, built once per process and shared (the builder's
    process pool also serves an embedded worker)."""

    builder: IndexBuilder
    cache: IndexCache
    loader: IndexLoader
    resolver: Resolver

    @classmethod
    def create(
        cls,
        *,
        db: Database,
        store: BlobStore,
        cache_bytes: int,
        index_processes: int,
        metrics: Metrics | None = None,
    ) -> Resolution:
        builder = IndexBuilder(index_processes, metrics=metrics)  # parse maps off the event loop
        cache = IndexCache(cache_bytes)                            # bytes-bounded LRU of loaded maps
        loader = IndexLoader(db, store, builder, cache, metrics=metrics)  # memory -> stored -> build
        if metrics is not None:
            metrics.track_cache(cache)                             # read at scrape time
        return cls(builder, cache, loader, Resolver(db, loader, metrics=metrics))

    def close(self) -> None:
        self.builder.close()


def frame_from_json(data: dict[str, Any]) -> Frame:
    """A Frame from an already validated JSON object (see api/resolve.py)."""
    return Frame(
        filename=data.get("filename"),
        function=data.get("function"),
        lineno=data.get("lineno"),
        colno=data.get("colno"),
        in_app=data.get("in_app"),
        chunk_id=data.get("chunk_id"),
        platform=data.get("platform"),
    )


__all__ = [
    "DEFAULT_CONTEXT_LINES",
    "MAX_CONTEXT_LINES",
    "Frame",
    "IndexCache",
    "IndexLoader",
    "LoadedIndex",
    "Resolution",
    "ResolveFailure",
    "Resolver",
    "frame_from_json",
    "function_name",
    "source_context",
    "unresolved",
]
