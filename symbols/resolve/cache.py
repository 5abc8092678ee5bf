"""Loaded indexes in memory: least recently used, bounded by their size in bytes."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ..sourcemaps import SourceMap
from ..sourcemaps.lines import LINE_BREAK

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
            self._lines[source_index] = None if content is None else LINE_BREAK.split(content)
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


__all__ = ["BUILT", "STORED", "IndexCache", "LoadedIndex"]
