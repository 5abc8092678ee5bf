"""Resolving the frames of one request: find each frame's symbol set (``finding.py``;
fetched first where the project allows it, ``fetching.py``), look positions up, shape
the resolved frames, explain the steps.

One bad frame never fails the request: every fault becomes the frame's typed
``resolve_failure`` (``ResolveFailure.kind``), and ``explain`` says which step found what.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ..db import Database, DatabaseUnavailable
from ..db.symbol_sets import SymbolSet, touch_last_used_many
from ..db.types import utcnow
from ..sourcemaps import SourceMap, Token
from ..sourcemaps.naming import ANONYMOUS
from ..symbol_sets.failures import parse_failure
from .cache import LoadedIndex
from .fetching import Fetcher
from .finding import SetCache, find_sets
from .frames import (
    DEFAULT_CONTEXT_LINES,
    NO_MAP_NEEDED,
    NO_POSITION,
    NO_SOURCEMAP_UPLOADED,
    NO_URL_OR_CHUNK_ID,
    STORAGE_UNAVAILABLE,
    SYMBOL_SET_FAILED,
    TOKEN_NOT_FOUND,
    Frame,
    ResolveFailure,
    is_minified,
    needs_no_map,
    script_url,
    step,
)
from .loader import IndexLoader

if TYPE_CHECKING:
    from ..metrics import Metrics

log = logging.getLogger(__name__)

LAST_USED_REFRESH = timedelta(hours=12)
# From this many frames of one set, one vectorized lookup beats single ones (measured on
# monaco: 50 frames 51 vs 151 us, 1000 frames 1.4 vs 0.9 ms).
BATCH_LOOKUP_MIN = 300


def _is_in_app_path(path: str | None) -> bool:
    return not (path and "node_modules" in path)


def function_name(source_map: SourceMap, line: int, column: int, token_name: str | None, frame: Frame) -> str | None:
    """The original name of the function a frame is in.

    With a scope table (built from the minified source) the enclosing function's name is
    the answer; where there is none the position is top-level code, and the token's name
    is NOT used (at a call site it names the callee): the frame's own name, else null.
    Without a scope table: the token's name, then the frame's (minified) name.
    """
    if source_map.scopes is not None:
        name = source_map.function_name(line, column)
        if name is None:
            return frame.function
        # V8 and SpiderMonkey print a constructor call as "new f": symbolic's "new Klass".
        constructing = (frame.function or "").startswith("new ")
        return f"new {name}" if constructing and not name.startswith(("new ", "<")) else name
    return token_name or frame.function


def unresolved(frame: Frame, kind: str) -> dict:
    """A frame not resolved; a minified one has no resolved name (as cymbal)."""
    not_ours = kind == NO_MAP_NEEDED
    return {
        "raw_id": frame.raw_id,
        "mangled_name": frame.function,
        "line": frame.lineno,
        "column": frame.colno,
        "source": frame.filename,
        "in_app": False if not_ours else frame.in_app if frame.in_app is not None
        else _is_in_app_path(frame.filename),
        "resolved_name": None if is_minified(frame, kind) else frame.function,
        "lang": "javascript",
        "resolved": False,
        "resolve_failure": kind,
        "context": None,
    }


class Resolver:
    def __init__(
        self, db: Database, loader: IndexLoader, *, load_concurrency: int = 8, metrics: Metrics | None = None,
        fetcher: Fetcher | None = None, sets: SetCache | None = None,
    ) -> None:
        self.db = db
        self.loader = loader
        self.fetcher = fetcher
        self.metrics = metrics
        # Without one (tests, tools), every request asks the database.
        self.sets = sets if sets is not None else SetCache(0)
        self._load_limit = asyncio.Semaphore(load_concurrency)

    def forget_sets(self, project_id: int) -> None:
        """A set of the project changed (deleted, edited, uploaded again) in this process."""
        self.sets.forget(project_id)

    async def resolve(
        self,
        project_id: int,
        frames: list[Frame],
        *,
        context_lines: int = DEFAULT_CONTEXT_LINES,
        explain: bool = False,
        release_id: str | None = None,
    ) -> list[dict]:
        """Resolved frames, in order, one per input frame (found by URL: preferably a set
        of ``release_id``)."""
        traces: list[list[dict]] | None = [[] for _ in frames] if explain else None
        sets_for = await find_sets(self.db, project_id, frames, traces, release_id, self.sets)
        if self.fetcher is not None:
            sets_for, traces = await self._fetch_missing(project_id, frames, sets_for, traces, release_id)

        loads: dict[str, asyncio.Task] = {}
        load_steps: dict[str, list[dict]] = {}
        for symbol_set in {s.id: s for s in sets_for if s is not None}.values():
            if _usable(symbol_set) is None:
                load_steps[symbol_set.id] = []
                loads[symbol_set.id] = asyncio.ensure_future(self._load(symbol_set, load_steps[symbol_set.id]))
        if loads:
            await asyncio.wait(loads.values())

        out: list[dict] = [None] * len(frames)  # type: ignore[list-item]
        # Frames to look up, per loaded set: (position in out, frame).
        per_set: dict[str, list[tuple[int, Frame]]] = {}
        for n, (frame, symbol_set) in enumerate(zip(frames, sets_for)):
            steps = traces[n] if traces is not None else None
            found = self._loaded(frame, symbol_set, steps, loads, load_steps)
            if isinstance(found, dict):
                out[n] = found
            else:
                per_set.setdefault(symbol_set.id, []).append((n, frame))
        for set_id, group in per_set.items():
            loaded: LoadedIndex = loads[set_id].result()
            if traces is None:  # frames seen before with this index: their kept answers
                todo = []
                for n, frame in group:
                    out[n] = loaded.answer((frame, context_lines))
                    if out[n] is None:
                        todo.append((n, frame))
                group = todo
            tokens = _lookups(loaded.source_map, [(f.lineno - 1, f.colno - 1) for _, f in group])
            shaped = []
            for (n, frame), token in zip(group, tokens):
                steps = traces[n] if traces is not None else None
                out[n] = _shaped(frame, token, loaded.source_map, steps)
                if token is not None:
                    shaped.append((out[n], token.source_index, steps))
            await _original_names(shaped, loaded)
            # Each source is split into lines once (long ones off the event loop), each
            # context sliced once per line and count and shared by the answers.
            for source_index in {i for _, i, _ in shaped}:
                await loaded.source_lines(source_index)
            for result, source_index, _ in shaped:
                result["context"] = loaded.context(source_index, result["line"] - 1, context_lines)
            if traces is None:
                for n, frame in group:
                    loaded.keep_answer((frame, context_lines), out[n])
        if traces is not None:
            for result, steps in zip(out, traces):
                result["explain"] = steps
        if self.metrics is not None:
            self.metrics.frames_resolved("resolved" if r["resolved"] else r["resolve_failure"] for r in out)
        await self._touch([s for s in sets_for if s is not None])
        return out

    async def _fetch_missing(self, project_id, frames, sets_for, traces, release_id):
        """Fetch the scripts no set matches (the project's fetch setting decides), then
        find the sets again."""
        missing = [script_url(f.filename) for f, s in zip(frames, sets_for)
                   if s is None and f.filename and not needs_no_map(f.filename)]
        fetched = set(await self.fetcher.fetch(project_id, missing)) if missing else set()
        if not fetched:
            return sets_for, traces
        traces = [[] for _ in frames] if traces is not None else None
        sets_for = await find_sets(self.db, project_id, frames, traces, release_id, self.sets)
        for n, frame in enumerate(frames):
            if traces is not None and frame.filename and script_url(frame.filename) in fetched:
                traces[n].insert(0, step("fetch", True, f"fetched {script_url(frame.filename)} and its map"))
        return sets_for, traces

    async def _load(self, symbol_set: SymbolSet, steps: list[dict]) -> LoadedIndex:
        async with self._load_limit:
            return await self.loader.get(symbol_set, steps)

    def _loaded(self, frame, symbol_set, steps, loads, load_steps) -> dict | LoadedIndex:
        """The frame's loaded index, or its unresolved answer."""
        if symbol_set is None:
            if needs_no_map(frame.filename):
                return unresolved(frame, NO_MAP_NEEDED)
            named = frame.chunk_id or frame.debug_id or frame.filename
            return unresolved(frame, NO_SOURCEMAP_UPLOADED if named else NO_URL_OR_CHUNK_ID)
        problem = _usable(symbol_set)
        if problem is not None:
            if steps is not None:
                steps.append(step("symbol_set", False, problem.detail))
            return unresolved(frame, problem.kind)
        if steps is not None:
            steps.append(step("symbol_set", True, f"uploaded {symbol_set.uploaded_at.isoformat()}"))
            steps.extend(load_steps[symbol_set.id])
        task = loads[symbol_set.id]
        if task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ResolveFailure):
                log.error("loading symbol set %s failed", symbol_set.id, exc_info=exc)
                if steps is not None:
                    steps.append(step("index_load", False, f"internal error: {type(exc).__name__}"))
                return unresolved(frame, STORAGE_UNAVAILABLE)
            return unresolved(frame, exc.kind)
        if frame.lineno is None or frame.colno is None:
            if steps is not None:
                steps.append(step("position_lookup", False, "the frame has no line or column"))
            return unresolved(frame, NO_POSITION)
        return task.result()

    async def _touch(self, sets: list[SymbolSet]) -> None:
        """Refresh ``last_used`` at most every 12 hours per set."""
        now = utcnow()
        stale = {s.id for s in sets if s.last_used is None or now - s.last_used > LAST_USED_REFRESH}
        if not stale:
            return
        try:
            async with self.db.begin() as conn:
                await touch_last_used_many(conn, stale)
        except (DatabaseUnavailable, OSError) as exc:
            log.warning("last_used not updated: %s", exc)


def _lookups(source_map: SourceMap, positions: list[tuple[int, int]]) -> list[Token | None]:
    """The tokens at 0-based (line, column) positions: one vectorized ``lookup_many`` for
    a large group, single lookups below ``BATCH_LOOKUP_MIN`` (cheaper there)."""
    if len(positions) < BATCH_LOOKUP_MIN:
        return [source_map.lookup(line, column) for line, column in positions]
    lines = [line for line, _ in positions]
    segments = source_map.lookup_many(lines, [column for _, column in positions]).segment.tolist()
    return [source_map.token(s, line) if s >= 0 else None for s, line in zip(segments, lines)]


def _shaped(frame: Frame, token: Token | None, source_map: SourceMap, steps: list[dict] | None) -> dict:
    """A looked-up frame's answer (its context is added by ``resolve``)."""
    if token is None:
        if steps is not None:
            steps.append(step(
                "position_lookup",
                False,
                f"no mapping at or before line {frame.lineno}, column {frame.colno} on that line "
                f"(the map covers {source_map.line_count} generated lines)",
            ))
        return unresolved(frame, TOKEN_NOT_FOUND)
    name = function_name(source_map, frame.lineno - 1, frame.colno - 1, token.name, frame)
    if steps is not None:
        steps.append(step(
            "position_lookup",
            True,
            f"line {frame.lineno}, column {frame.colno} -> {token.source}:{token.line + 1}:{token.column + 1}",
        ))
        how = "enclosing function from scopes" if source_map.scopes is not None else "no scopes: token or frame name"
        steps.append(step("function_name", name is not None, f"{how}: {name!r}"))
    return {
        "raw_id": frame.raw_id,
        "mangled_name": frame.function,
        "line": token.line + 1,
        "column": token.column + 1,
        "source": token.source,
        "in_app": _is_in_app_path(token.source) and not source_map.is_ignored(token.source_index),
        "resolved_name": name,
        "lang": "javascript",
        "resolved": True,
        "resolve_failure": None,
        "context": None,
    }


async def _original_names(shaped: list[tuple[dict, int, list[dict] | None]], loaded: LoadedIndex) -> None:
    """Name resolved frames by the original function holding their original position, when
    the map has the (JavaScript) source: what minifiers inline or reshape keeps its name.
    Each source's scopes are parsed once (in a thread) and kept with the index."""
    tables = {}
    for result, source_index, _ in shaped:
        if source_index not in tables:
            tables[source_index] = await loaded.original_scopes(source_index, result["source"])
    for result, source_index, steps in shaped:
        scopes = tables[source_index]
        name = scopes.name_at(result["line"] - 1, result["column"] - 1) if scopes is not None else None
        if name is None or name == ANONYMOUS and result["resolved_name"] not in (None, ANONYMOUS):
            continue
        constructing = (result["mangled_name"] or "").startswith("new ")
        result["resolved_name"] = f"new {name}" if constructing and not name.startswith(("new ", "<")) else name
        if steps is not None:
            steps.append(step("function_name", True, f"enclosing function in the original source: {name!r}"))


def _usable(symbol_set: SymbolSet) -> ResolveFailure | None:
    if symbol_set.failure_reason:
        kind, message = parse_failure(symbol_set.failure_reason)
        return ResolveFailure(SYMBOL_SET_FAILED, f"symbol set {symbol_set.id} failed processing: {kind}: {message}")
    if symbol_set.storage_ptr is None or symbol_set.uploaded_at is None:
        return ResolveFailure(NO_SOURCEMAP_UPLOADED, f"symbol set {symbol_set.id} exists but its upload is not finished")
    return None


__all__ = ["Resolver", "function_name", "unresolved"]
