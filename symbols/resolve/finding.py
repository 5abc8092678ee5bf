"""Finding each frame's symbol set: by chunk id, then debug id, then the script's URL
(a set's ref, else the URL it was uploaded for; ``release_id`` decides between builds
served at one URL). Frames that are not the user's code look for none.

``SetCache`` keeps the usable sets found lately (per project, for ``ttl`` seconds), so
warm resolution asks the database nothing. A set missing, failed, not uploaded or not
processed yet is never kept: it is looked up again on every request, and it is
resolvable the moment it is ready. A kept set may be seen for up to ``ttl`` seconds after
another process changed it (this process forgets a project's sets at once on its own
changes, ``SetCache.forget``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..db import Database
from ..db.symbol_sets import SymbolSet, get_symbol_sets_by_refs, get_symbol_sets_by_urls
from .frames import Frame, needs_no_map, script_url, step

SET_CACHE_SECONDS = 2.0
MAX_CACHED_PROJECTS = 1000
MAX_CACHED_PER_PROJECT = 10_000


def cacheable(symbol_set: SymbolSet) -> bool:
    """Whether a set is ready to resolve with: uploaded, processed, not failed, not a
    placeholder."""
    return (symbol_set.failure_reason is None and symbol_set.storage_ptr is not None and not symbol_set.placeholder
            and symbol_set.uploaded_at is not None and symbol_set.processed_at is not None)


class SetCache:
    """``project -> {lookup key -> usable set}`` for ``ttl`` seconds. Keys are ``("ref",
    chunk id | debug id)`` and ``("url", release id, script URL)``; one project's entries
    are a dict of their own, so a lookup for one project never sees another's sets."""

    def __init__(self, ttl: float = SET_CACHE_SECONDS, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._projects: dict[int, dict[tuple, tuple[float, SymbolSet]]] = {}

    def get(self, project_id: int, key: tuple) -> SymbolSet | None:
        entry = self._projects.get(project_id, {}).get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, project_id: int, key: tuple, symbol_set: SymbolSet) -> None:
        if self.ttl <= 0 or symbol_set.team_id != project_id or not cacheable(symbol_set):
            return
        entries = self._projects.get(project_id)
        if entries is None:
            if len(self._projects) >= MAX_CACHED_PROJECTS:
                self._projects.clear()
            entries = self._projects[project_id] = {}
        elif len(entries) >= MAX_CACHED_PER_PROJECT:
            entries.clear()
        entries[key] = (self.clock() + self.ttl, symbol_set)

    def forget(self, project_id: int) -> None:
        """Drop a project's sets (one of them changed in this process)."""
        self._projects.pop(project_id, None)


async def find_sets(
    db: Database, project_id: int, frames: list[Frame], traces: list[list[dict]] | None, release_id: str | None,
    cache: SetCache | None = None,
) -> list[SymbolSet | None]:
    """Each frame's set: by chunk id, then debug id, then script URL (looked up only for
    frames no id found). With ``traces`` (one list per frame), the steps taken are appended
    to them (``explain``)."""
    cache = cache or SetCache(0)
    ours = [f for f in frames if not needs_no_map(f.filename)]
    ids = {i for f in ours for i in (f.chunk_id, f.debug_id) if i}
    by_id = {i: s for i in ids if (s := cache.get(project_id, ("ref", i))) is not None}
    urls = _unfound_urls(ours, by_id)
    by_url = {u: s for u in urls if (s := cache.get(project_id, ("url", release_id, u))) is not None}
    missing_ids, missing_urls = ids - by_id.keys(), urls - by_url.keys()
    placeholders: dict[str, SymbolSet] = {}
    if missing_ids or missing_urls:
        async with db.connect() as conn:
            by_ref = await get_symbol_sets_by_refs(conn, project_id, missing_ids | missing_urls)
            # A placeholder has no file: the frame looks on (by URL) as if it were not there.
            placeholders = {ref: s for ref, s in by_ref.items() if s.placeholder}
            by_ref = {ref: s for ref, s in by_ref.items() if not s.placeholder}
            for i in missing_ids & by_ref.keys():
                by_id[i] = by_ref[i]
                cache.put(project_id, ("ref", i), by_ref[i])
            # Frames an id found now need no URL.
            missing_urls &= _unfound_urls(ours, by_id)
            at_url = await get_symbol_sets_by_urls(conn, project_id, missing_urls - by_ref.keys(),
                                                   release_id=release_id)
        for u in missing_urls:
            if (symbol_set := by_ref.get(u) or at_url.get(u)) is not None:
                by_url[u] = symbol_set
                cache.put(project_id, ("url", release_id, u), symbol_set)
    found: list[SymbolSet | None] = []
    for n, frame in enumerate(frames):
        steps = traces[n] if traces is not None else None
        if needs_no_map(frame.filename):
            if steps is not None:
                steps.append(step("not_user_code", True, f"{frame.filename!r} is not the user's code"))
            found.append(None)
            continue
        symbol_set = _by_id(frame, by_id)
        if symbol_set is None and frame.filename:
            symbol_set = by_url.get(script_url(frame.filename))
        if steps is not None:
            _explain(frame, by_id, placeholders, symbol_set, steps)
        found.append(symbol_set)
    return found


def _by_id(frame: Frame, by_id: dict[str, SymbolSet]) -> SymbolSet | None:
    found = by_id.get(frame.chunk_id) if frame.chunk_id else None
    if found is None and frame.debug_id:
        found = by_id.get(frame.debug_id)
    return found


def _unfound_urls(frames: list[Frame], by_id: dict[str, SymbolSet]) -> set[str]:
    return {script_url(f.filename) for f in frames if f.filename and _by_id(f, by_id) is None}


def _explain(frame: Frame, by_id: dict[str, SymbolSet], placeholders: dict[str, SymbolSet], found: SymbolSet | None,
             steps: list[dict]) -> None:
    symbol_set = None
    for kind, value in (("chunk_id", frame.chunk_id), ("debug_id", frame.debug_id)):
        if symbol_set is not None:
            break
        if not value:
            steps.append(step(f"{kind}_lookup", False, f"the frame has no {kind}"))
            continue
        symbol_set = by_id.get(value)
        steps.append(step(f"{kind}_lookup", symbol_set is not None, _ref_detail(value, symbol_set, placeholders)))
    if symbol_set is None:
        if frame.filename:
            steps.append(step("url_lookup", found is not None, _url_detail(script_url(frame.filename), found)))
        else:
            steps.append(step("url_lookup", False, "the frame has no filename"))


def _ref_detail(ref: str, symbol_set: SymbolSet | None, placeholders: dict[str, SymbolSet]) -> str:
    if symbol_set is not None:
        return f"symbol set {symbol_set.id} has ref {ref!r}"
    if ref in placeholders:
        return (f"symbol set {placeholders[ref].id} is a placeholder for ref {ref!r} (frames asked for it, "
                "nothing was uploaded): upload its map with `symbols sourcemap upload`")
    return f"no symbol set of this project has ref {ref!r}"


def _url_detail(url: str, symbol_set: SymbolSet | None) -> str:
    if symbol_set is None:
        return (f"no symbol set of this project has ref or URL {url!r}: upload its map with "
                "`symbols sourcemap upload --url-prefix` set to where the scripts are served")
    if symbol_set.ref == url:
        return f"symbol set {symbol_set.id} has ref {url!r}"
    return f"symbol set {symbol_set.id} ({symbol_set.ref}) was uploaded for URL {symbol_set.url!r}"


__all__ = ["SetCache", "cacheable", "find_sets"]
