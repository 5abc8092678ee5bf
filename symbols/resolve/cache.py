"""Loaded indexes in memory: least recently used, bounded by their size in bytes.

An entry's size is its stored index's length plus the original sources it has split into
lines for context lines: split lazily, one source at a time, in a thread when the source
is long, counted in the budget (an estimate: the text plus ~65 bytes a line), and not
split at all when that estimate alone is over the budget (its frames then have no context);
each line's context item, made when a context first shows it and shared after;
and the answers of frames resolved with it (with their context lines), kept for the next
requests and counted in the budget too (``MAX_ANSWERS`` per index, then dropped all at once).
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from ..sourcemaps import ScopeTable, SourceMap
from ..sourcemaps.errors import SourceMapError
from ..sourcemaps.lines import LINE_BREAK
from ..sourcemaps.original_names import original_scope_table

# LoadedIndex.origin: where an index was loaded from (shown by explain).
STORED = "stored index"
BUILT = "built from the upload now"
# Sources of at least this many characters are split in a thread, off the event loop.
INLINE_SPLIT_CHARS = 256 * 1024
# About what one line costs once split: a str object's header, the list's pointer and the
# slot of its context item.
LINE_OVERHEAD_BYTES = 65
# About what one line's context item costs once made (``{"number", "line"}``).
CONTEXT_ITEM_BYTES = 200
# About what one scope of an original source costs (its arrays' entries).
SCOPE_BYTES = 32
# Context lines longer than this are cut (minified sources would bloat responses).
MAX_CONTEXT_LINE_CHARS = 1000
# Frames' answers kept per index (then dropped all at once), and about what one costs with
# its context (its dicts and lists: the lines' items are shared, counted where made).
MAX_ANSWERS = 16384
ANSWER_BYTES = 1000
ANSWER_LINE_BYTES = 8


def _clip(line: str) -> str:
    return line if len(line) <= MAX_CONTEXT_LINE_CHARS else line[:MAX_CONTEXT_LINE_CHARS] + "…"


@dataclass
class _Kept:
    """Values derived from an index, at most ``limit``; ``size`` is their estimated bytes."""

    limit: int
    items: dict = field(default_factory=dict)
    size: int = 0


@dataclass(eq=False)
class LoadedIndex:
    source_map: SourceMap
    size: int
    origin: str = ""
    _lines: dict[int, list[str] | None] = field(default_factory=dict)
    # Per split source, each line's context item, made the first time a context shows it.
    _items: dict[int, list[dict | None]] = field(default_factory=dict)
    _scopes: dict[int, ScopeTable | None] = field(default_factory=dict)
    _answers: _Kept = field(default_factory=lambda: _Kept(MAX_ANSWERS))
    # The cache that holds (or refused) this entry under ``_key``, told when it grows.
    _cache: IndexCache | None = None
    _key: str = ""

    async def source_lines(self, source_index: int) -> list[str] | None:
        """The original source's lines (split once, kept with the index), or None when
        the map has no content for it or its lines would not fit the cache's budget."""
        if source_index in self._lines:
            return self._lines[source_index]
        content = self.source_map.source_content(source_index)
        budget = self._cache.max_bytes if self._cache is not None else 0
        if content is None:
            lines, cost = None, 0
        elif len(content) < INLINE_SPLIT_CHARS:
            lines, cost = _split(content, budget)
        else:
            lines, cost = await asyncio.to_thread(_split, content, budget)
        if source_index not in self._lines:  # not split by a concurrent request meanwhile
            self._lines[source_index] = lines
            self.size += cost
            if self._cache is not None:
                self._cache.grew(self, cost)
        return self._lines[source_index]

    def context(self, source_index: int, line: int, count: int) -> dict | None:
        """``count`` lines around 0-based ``line`` of a source split by ``source_lines``
        (None if it is not); numbers are 1-based. Each line's item is made once and shared
        by every context that shows it (never changed)."""
        lines = self._lines.get(source_index)
        if lines is None or not 0 <= line < len(lines):
            return None
        items = self._items.get(source_index)
        if items is None:
            items = self._items[source_index] = [None] * len(lines)
        first, end = max(0, line - count), min(len(lines), line + 1 + count)
        made = 0  # bytes of the items made now
        for n in range(first, end):
            if items[n] is None:
                text = lines[n]
                items[n] = {"number": n + 1, "line": _clip(text)}
                made += CONTEXT_ITEM_BYTES + (len(text) if len(text) > MAX_CONTEXT_LINE_CHARS else 0)  # a cut copy
        if made:
            self._grow(made)
        return {"before": items[first:line], "line": items[line], "after": items[line + 1:end]}

    def answer(self, key: Hashable) -> dict | None:
        """A copy of the answer kept under ``key`` (a frame and the request's options)."""
        found = self._answers.items.get(key)
        return dict(found) if found is not None else None

    def keep_answer(self, key: Hashable, answer: dict) -> None:
        """Keep (a copy of) a frame's answer, derived from this index alone, for ``answer``:
        its context is shared by the copies, so it is never changed."""
        kept = self._answers
        if len(kept.items) >= kept.limit:
            self._grow(-kept.size)
            kept.items.clear()
            kept.size = 0
        context = answer.get("context")
        cost = ANSWER_BYTES
        if context is not None:
            cost += ANSWER_LINE_BYTES * (len(context["before"]) + 1 + len(context["after"]))
        kept.items[key] = dict(answer)
        kept.size += cost
        self._grow(cost)

    def _grow(self, delta: int) -> None:
        self.size += delta
        if self._cache is not None:
            self._cache.grew(self, delta)

    async def original_scopes(self, source_index: int, source_url: str | None) -> ScopeTable | None:
        """The function scopes of an original JavaScript source (parsed once, in a thread,
        kept with the index), or None: no content, another language, too complex."""
        if source_index not in self._scopes:
            content = self.source_map.source_content(source_index)
            table = None
            if content is not None:
                try:
                    table = await asyncio.to_thread(
                        original_scope_table, source_url, content)
                except SourceMapError:
                    table = None
            cost = SCOPE_BYTES * len(table) if table is not None else 0
            if source_index not in self._scopes:
                self._scopes[source_index] = table
                self.size += cost
                if self._cache is not None:
                    self._cache.grew(self, cost)
        return self._scopes[source_index]


def _split(content: str, budget: int) -> tuple[list[str] | None, int]:
    cost = sys.getsizeof(content) + LINE_OVERHEAD_BYTES * (content.count("\n") + content.count("\r") + 1)
    if cost > budget:
        return None, 0
    return LINE_BREAK.split(content), cost


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
        entry._cache, entry._key = self, key
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += entry.size
        self._evict()

    def grew(self, entry: LoadedIndex, delta: int) -> None:
        """``entry`` (if still held) is ``delta`` bytes larger now."""
        if self._entries.get(entry._key) is entry:
            self.bytes += delta
            self._evict()

    def _evict(self) -> None:
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


__all__ = ["BUILT", "STORED", "IndexCache", "LoadedIndex"]
