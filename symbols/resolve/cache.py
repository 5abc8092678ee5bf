"""Loaded indexes in memory: least recently used, bounded by their size in bytes.

An entry's size is its stored index's length plus the original sources it has split into
lines for context lines: split lazily, one source at a time, in a thread when the source
is long, counted in the budget (an estimate: the text plus ~57 bytes a line), and not
split at all when that estimate alone is over the budget (its frames then have no context).
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict
from dataclasses import dataclass, field

from ..sourcemaps import SourceMap
from ..sourcemaps.lines import LINE_BREAK

# LoadedIndex.origin: where an index was loaded from (shown by explain).
STORED = "stored index"
BUILT = "built from the upload now"
# Sources of at least this many characters are split in a thread, off the event loop.
INLINE_SPLIT_CHARS = 256 * 1024
# About what one line costs once split: a str object's header and the list's pointer.
LINE_OVERHEAD_BYTES = 57


@dataclass(eq=False)
class LoadedIndex:
    source_map: SourceMap
    size: int
    origin: str = ""
    _lines: dict[int, list[str] | None] = field(default_factory=dict)
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
