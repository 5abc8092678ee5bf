"""Time-ordered ids (UUID version 7, RFC 9562), as PostHog gives new events and exceptions.

Python 3.11's ``uuid`` has no ``uuid7``: 48 bits of Unix milliseconds, the version, 74
random bits and the variant are enough here (ids only need to be unique and to sort
roughly by creation time; no monotonic counter within a millisecond).
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A new version-7 UUID; ``now_ms`` (Unix milliseconds) defaults to the clock."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits, 74 used
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)
