"""Context lines inside the cache's budget (issue 15): sources are split lazily, one at a
time, long ones in a thread, and their lines count in the cache's bytes."""

from __future__ import annotations

import sys

import orjson

from symbols.resolve.cache import (
    ANSWER_BYTES,
    ANSWER_LINE_BYTES,
    CONTEXT_ITEM_BYTES,
    INLINE_SPLIT_CHARS,
    LINE_OVERHEAD_BYTES,
    MAX_CONTEXT_LINE_CHARS,
    IndexCache,
    LoadedIndex,
)
from symbols.sourcemaps import parse_source_map

SHORT = "const a = 1;\nconst b = 2;\n"
LONG = "x\n" * (INLINE_SPLIT_CHARS // 2 + 10)


def _loaded() -> LoadedIndex:
    source_map = parse_source_map(orjson.dumps({
        "version": 3, "sources": ["short.js", "long.js", "none.js"], "names": [],
        "sourcesContent": [SHORT, LONG, None], "mappings": "AAAA;ACAA;ACAA",
    }))
    return LoadedIndex(source_map, len(source_map.to_index_bytes()))


async def test_sources_are_split_on_demand_and_counted_in_the_budget():
    cache, entry = IndexCache(64 * 1024 * 1024), _loaded()
    cache.put("k", entry)
    start = cache.bytes
    assert await entry.source_lines(0) == ["const a = 1;", "const b = 2;", ""]
    after_short = cache.bytes
    assert after_short > start and entry.size == after_short
    lines = await entry.source_lines(1)  # long: split in a thread
    assert len(lines) == INLINE_SPLIT_CHARS // 2 + 11 and lines[0] == "x"
    assert cache.bytes - after_short > len(LONG)
    assert await entry.source_lines(2) is None
    assert await entry.source_lines(1) is lines  # split once


async def test_lines_that_would_not_fit_the_budget_are_not_split():
    entry = _loaded()
    cache = IndexCache(entry.size + 1024)
    cache.put("k", entry)
    before = cache.bytes
    assert await entry.source_lines(0) is not None  # small: fits
    assert await entry.source_lines(1) is None  # its lines alone are over the budget
    assert cache.bytes - before < 1024


async def test_growing_lines_evict_older_entries():
    old, entry = _loaded(), _loaded()
    lines_cost = sys.getsizeof(LONG) + LINE_OVERHEAD_BYTES * (LONG.count("\n") + 1)
    cache = IndexCache(entry.size + lines_cost + old.size // 2)
    cache.put("old", old)
    cache.put("new", entry)
    assert len(cache) == 2
    await entry.source_lines(1)
    assert cache.get("old") is None and cache.get("new") is entry
    assert cache.bytes == entry.size <= cache.max_bytes


async def test_contexts_come_from_the_split_lines():
    entry = _loaded()
    IndexCache(64 * 1024 * 1024).put("k", entry)
    assert entry.context(0, 1, 5) is None  # not split yet
    await entry.source_lines(0)
    assert entry.context(0, 1, 5) == {"before": [{"number": 1, "line": "const a = 1;"}],
                                      "line": {"number": 2, "line": "const b = 2;"},
                                      "after": [{"number": 3, "line": ""}]}
    assert entry.context(0, 1, 0) == {"before": [], "line": {"number": 2, "line": "const b = 2;"}, "after": []}
    assert entry.context(0, 7, 5) is None and entry.context(2, 0, 5) is None  # past the end; no content


async def test_context_items_are_made_once_shared_and_counted_in_the_budget():
    wide = "x" * (MAX_CONTEXT_LINE_CHARS + 1)
    source_map = parse_source_map(orjson.dumps({
        "version": 3, "sources": ["a.js"], "names": [], "sourcesContent": [f"a\n{wide}\nc"], "mappings": "AAAA",
    }))
    cache, entry = IndexCache(64 * 1024 * 1024), LoadedIndex(source_map, len(source_map.to_index_bytes()))
    cache.put("k", entry)
    await entry.source_lines(0)
    before = cache.bytes
    first = entry.context(0, 0, 1)  # lines 1 and 2 made
    assert first["after"] == [{"number": 2, "line": wide[:MAX_CONTEXT_LINE_CHARS] + "…"}]
    assert cache.bytes - before == 2 * CONTEXT_ITEM_BYTES + len(wide) and entry.size == cache.bytes
    second = entry.context(0, 2, 1)  # line 3 made; line 2 shared
    assert second["before"][0] is first["after"][0]
    assert cache.bytes - before == 3 * CONTEXT_ITEM_BYTES + len(wide)


async def test_answers_are_kept_as_copies_and_counted_in_the_budget(monkeypatch):
    monkeypatch.setattr("symbols.resolve.cache.MAX_ANSWERS", 2)
    cache, entry = IndexCache(64 * 1024 * 1024), _loaded()
    cache.put("k", entry)
    await entry.source_lines(0)
    answer = {"line": 2, "context": entry.context(0, 1, 5)}
    before = cache.bytes
    assert entry.answer(("frame", 5)) is None
    entry.keep_answer(("frame", 5), answer)
    answer["line"] = 99  # the caller's dict is its own
    kept = entry.answer(("frame", 5))
    assert kept == {"line": 2, "context": entry.context(0, 1, 5)}
    kept.pop("context")  # as the pipeline does with its answers
    assert entry.answer(("frame", 5)) == {"line": 2, "context": entry.context(0, 1, 5)}
    assert entry.answer(("frame", 0)) is None
    one = ANSWER_BYTES + 3 * ANSWER_LINE_BYTES
    assert cache.bytes - before == one and entry.size == cache.bytes
    entry.keep_answer(("bare", 0), {"context": {"before": [], "line": {"number": 1, "line": "x"}, "after": []}})
    assert cache.bytes - before == one + ANSWER_BYTES + ANSWER_LINE_BYTES
    entry.keep_answer(("none", 0), {"line": 1, "context": None})  # the third: the kept ones are dropped
    assert cache.bytes - before == ANSWER_BYTES and entry.size == cache.bytes
    assert entry.answer(("frame", 5)) is None and entry.answer(("none", 0)) == {"line": 1, "context": None}
