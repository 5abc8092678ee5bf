"""Scratch arrays for the decoder's large temporaries, kept per thread between parses.

Why: a fresh multi-megabyte numpy array is fresh memory from the OS, and its first touch
costs a page fault per 4 KiB page. On monaco's 13 MB map that was about a third of the
parse (16,800 faults, ~28 ms of system time). Temporaries that die within a parse (the
item stream, index arrays, masks) are taken from these buffers instead, so a worker that
parses map after map touches the same pages again. Nothing returned to a caller ever
lives in a scratch buffer.

Each buffer has a role; a role is used by one array at a time. A thread keeps at most
MAX_KEPT bytes of buffers (after monaco's 13 MB map: 19 MB, mostly the five decoded
columns); past that, buffers are not kept, so a huge map pays its page faults rather than
pinning memory.
"""

from __future__ import annotations

import threading

import numpy as np

MAX_KEPT = 96 << 20
_local = threading.local()


def scratch(role: str, size: int, dtype) -> np.ndarray:
    """An uninitialised array of `size` elements of `dtype`, reusing this thread's buffer."""
    buffers: dict[str, np.ndarray] = _local.__dict__.setdefault("buffers", {})
    nbytes = size * np.dtype(dtype).itemsize
    buffer = buffers.get(role)
    if buffer is None or buffer.nbytes < nbytes:
        kept = sum(b.nbytes for r, b in buffers.items() if r != role)
        buffer = np.empty(nbytes + (nbytes >> 3), dtype=np.uint8)  # room to grow a little
        if kept + buffer.nbytes <= MAX_KEPT:
            buffers[role] = buffer
        else:
            buffers.pop(role, None)
    return buffer[:nbytes].view(dtype)


__all__ = ["MAX_KEPT", "scratch"]
