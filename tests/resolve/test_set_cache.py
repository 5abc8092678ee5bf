"""SetCache: only usable sets are kept, per project, for its ttl."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from symbols.db.symbol_sets import SymbolSet
from symbols.resolve import SetCache

NOW = datetime(2026, 1, 1, tzinfo=UTC)
READY = SymbolSet(
    id="s1", team_id=1, ref="app", storage_ptr="symbolsets/x", content_hash="h", failure_reason=None,
    created_at=NOW, last_used=None, release_id=None, uploaded_at=NOW, size_bytes=10, processed_at=NOW,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_usable_set_is_kept_for_the_ttl():
    clock = Clock()
    cache = SetCache(2.0, clock=clock)
    cache.put(1, ("ref", "app"), READY)
    assert cache.get(1, ("ref", "app")) is READY
    clock.now += 1.9
    assert cache.get(1, ("ref", "app")) is READY
    clock.now += 0.2
    assert cache.get(1, ("ref", "app")) is None


def test_sets_not_ready_to_resolve_with_are_never_kept():
    cache = SetCache(60.0)
    not_ready = {
        "failed": replace(READY, failure_reason="InvalidSourceMap: bad"),
        "upload not finished": replace(READY, uploaded_at=None),
        "no blob": replace(READY, storage_ptr=None),
        "not processed yet": replace(READY, processed_at=None),
        "placeholder": replace(READY, storage_ptr=None, uploaded_at=None, processed_at=None, content_hash=None),
    }
    assert not_ready["placeholder"].placeholder
    for why, symbol_set in not_ready.items():
        cache.put(1, ("ref", why), symbol_set)
        assert cache.get(1, ("ref", why)) is None, why


def test_projects_never_see_each_others_sets():
    cache = SetCache(60.0)
    cache.put(1, ("ref", "app"), READY)
    assert cache.get(2, ("ref", "app")) is None
    cache.put(2, ("ref", "app"), READY)  # project 1's set offered under project 2: refused
    assert cache.get(2, ("ref", "app")) is None
    theirs = replace(READY, id="s2", team_id=2)
    cache.put(2, ("ref", "app"), theirs)
    assert cache.get(1, ("ref", "app")) is READY and cache.get(2, ("ref", "app")) is theirs
    cache.forget(1)
    assert cache.get(1, ("ref", "app")) is None and cache.get(2, ("ref", "app")) is theirs


def test_ttl_zero_keeps_nothing():
    cache = SetCache(0)
    cache.put(1, ("ref", "app"), READY)
    assert cache.get(1, ("ref", "app")) is None
