"""Resolving the frames of one request: find each frame's symbol set (chunk id, then
URL), look positions up, shape the resolved frames, explain the steps.

One bad frame never fails the request: every fault becomes the frame's typed
``resolve_failure`` (``ResolveFailure.kind``), and ``explain`` says which step found what.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ..db import Database, DatabaseUnavailable
from ..db.symbol_sets import (
    SymbolSet,
    get_symbol_sets_by_refs,
    get_symbol_sets_by_urls,
    touch_last_used_many,
)
from ..db.types import utcnow
from ..sourcemaps import SourceMap
from ..symbol_sets.failures import parse_failure
from .cache import LoadedIndex
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

# Context lines longer than this are cut (minified sources would bloat responses).
MAX_CONTEXT_LINE_CHARS = 1000
LAST_USED_REFRESH = timedelta(hours=12)


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
        release_id: str | None = None,
    ) -> list[dict]:
        """Resolved frames, in order, one per input frame (found by URL: preferably a set
        of ``release_id``)."""
        traces: list[list[dict]] = [[] for _ in frames]
        sets_for = await self._find_sets(project_id, frames, traces, release_id)

        loads: dict[str, asyncio.Task] = {}
        load_steps: dict[str, list[dict]] = {}
        for symbol_set in {s.id: s for s in sets_for if s is not None}.values():
            if _usable(symbol_set) is None:
                load_steps[symbol_set.id] = []
                loads[symbol_set.id] = asyncio.ensure_future(self._load(symbol_set, load_steps[symbol_set.id]))
        if loads:
            await asyncio.wait(loads.values())

        out = []
        contexts: list[tuple[dict, LoadedIndex, int]] = []
        for frame, symbol_set, steps in zip(frames, sets_for, traces):
            result = self._resolve_one(frame, symbol_set, steps, loads, load_steps, contexts)
            if explain:
                result["explain"] = steps
            out.append(result)
        if context_lines >= 0:
            # Sources are split into lines lazily, long ones off the event loop.
            for result, loaded, source_index in contexts:
                lines = await loaded.source_lines(source_index)
                result["context"] = source_context(lines, result["line"] - 1, context_lines)
        if self.metrics is not None:
            self.metrics.frames_resolved("resolved" if r["resolved"] else r["resolve_failure"] for r in out)
        await self._touch([s for s in sets_for if s is not None])
        return out

    async def _load(self, symbol_set: SymbolSet, steps: list[dict]) -> LoadedIndex:
        async with self._load_limit:
            return await self.loader.get(symbol_set, steps)

    async def _find_sets(self, project_id: int, frames: list[Frame], traces, release_id) -> list[SymbolSet | None]:
        """Each frame's set: by chunk id, then debug id, then script URL."""
        ids = {i for f in frames for i in (f.chunk_id, f.debug_id) if i}
        urls = {script_url(f.filename) for f in frames if f.filename and not needs_no_map(f.filename)}
        async with self.db.connect() as conn:
            by_ref = await get_symbol_sets_by_refs(conn, project_id, ids | urls)
            by_url = await get_symbol_sets_by_urls(conn, project_id, urls - by_ref.keys(), release_id=release_id)
        found: list[SymbolSet | None] = []
        for frame, steps in zip(frames, traces):
            if needs_no_map(frame.filename):
                steps.append(step("not_user_code", True, f"{frame.filename!r} is not the user's code"))
                found.append(None)
                continue
            symbol_set = None
            for kind, value in (("chunk_id", frame.chunk_id), ("debug_id", frame.debug_id)):
                if symbol_set is not None:
                    break
                if not value:
                    steps.append(step(f"{kind}_lookup", False, f"the frame has no {kind}"))
                    continue
                symbol_set = by_ref.get(value)
                steps.append(step(
                    f"{kind}_lookup",
                    symbol_set is not None,
                    f"symbol set {symbol_set.id} has ref {value!r}" if symbol_set
                    else f"no symbol set of this project has ref {value!r}",
                ))
            if symbol_set is None:
                if frame.filename:
                    url = script_url(frame.filename)
                    symbol_set = by_ref.get(url) or by_url.get(url)
                    steps.append(step("url_lookup", symbol_set is not None, _url_detail(url, symbol_set)))
                else:
                    steps.append(step("url_lookup", False, "the frame has no filename"))
            found.append(symbol_set)
        return found

    def _resolve_one(self, frame, symbol_set, steps, loads, load_steps, contexts) -> dict:
        if symbol_set is None:
            if needs_no_map(frame.filename):
                return unresolved(frame, NO_MAP_NEEDED)
            named = frame.chunk_id or frame.debug_id or frame.filename
            return unresolved(frame, NO_SOURCEMAP_UPLOADED if named else NO_URL_OR_CHUNK_ID)
        problem = _usable(symbol_set)
        if problem is not None:
            steps.append(step("symbol_set", False, problem.detail))
            return unresolved(frame, problem.kind)
        steps.append(step("symbol_set", True, f"uploaded {symbol_set.uploaded_at.isoformat()}"))
        task = loads[symbol_set.id]
        steps.extend(load_steps[symbol_set.id])
        if task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ResolveFailure):
                log.error("loading symbol set %s failed", symbol_set.id, exc_info=exc)
                steps.append(step("index_load", False, f"internal error: {type(exc).__name__}"))
                return unresolved(frame, STORAGE_UNAVAILABLE)
            return unresolved(frame, exc.kind)
        loaded: LoadedIndex = task.result()
        if frame.lineno is None or frame.colno is None:
            steps.append(step("position_lookup", False, "the frame has no line or column"))
            return unresolved(frame, NO_POSITION)
        source_map = loaded.source_map
        line, column = frame.lineno - 1, frame.colno - 1
        token = source_map.lookup(line, column)
        if token is None:
            steps.append(step(
                "position_lookup",
                False,
                f"no mapping at or before line {frame.lineno}, column {frame.colno} on that line "
                f"(the map covers {source_map.line_count} generated lines)",
            ))
            return unresolved(frame, TOKEN_NOT_FOUND)
        steps.append(step(
            "position_lookup",
            True,
            f"line {frame.lineno}, column {frame.colno} -> {token.source}:{token.line + 1}:{token.column + 1}",
        ))
        name = function_name(source_map, line, column, token.name, frame)
        how = "enclosing function from scopes" if source_map.scopes is not None else "no scopes: token or frame name"
        steps.append(step("function_name", name is not None, f"{how}: {name!r}"))
        in_app = _is_in_app_path(token.source) and not source_map.is_ignored(token.source_index)
        result = {
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
            "context": None,  # filled in by resolve() unless context_lines < 0
        }
        contexts.append((result, loaded, token.source_index))
        return result

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


def _url_detail(url: str, symbol_set: SymbolSet | None) -> str:
    if symbol_set is None:
        return (f"no symbol set of this project has ref or URL {url!r}: upload its map with "
                "`symbols sourcemap upload --url-prefix` set to where the scripts are served")
    if symbol_set.ref == url:
        return f"symbol set {symbol_set.id} has ref {url!r}"
    return f"symbol set {symbol_set.id} ({symbol_set.ref}) was uploaded for URL {symbol_set.url!r}"


def _usable(symbol_set: SymbolSet) -> ResolveFailure | None:
    if symbol_set.failure_reason:
        kind, message = parse_failure(symbol_set.failure_reason)
        return ResolveFailure(SYMBOL_SET_FAILED, f"symbol set {symbol_set.id} failed processing: {kind}: {message}")
    if symbol_set.storage_ptr is None or symbol_set.uploaded_at is None:
        return ResolveFailure(NO_SOURCEMAP_UPLOADED, f"symbol set {symbol_set.id} exists but its upload is not finished")
    return None


__all__ = ["Resolver", "function_name", "source_context", "unresolved"]
