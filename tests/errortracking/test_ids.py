"""UUIDv7: version, variant, the millisecond timestamp in the top 48 bits, time order."""

from __future__ import annotations

import uuid

from symbols.errortracking.ids import uuid7


def test_uuid7_layout_and_order():
    ms = 1_767_225_600_123
    first = uuid7(ms)
    assert (first.version, first.variant) == (7, uuid.RFC_4122)
    assert first.int >> 80 == ms
    later = [uuid7(ms + 1) for _ in range(50)]
    assert all(str(first) < str(u) for u in later)
    assert len({*later, first}) == 51
    assert abs((uuid7().int >> 80) - (uuid7().int >> 80)) < 60_000
