"""The one greatest-lower-bound search, used for tokens within a line and for scopes."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np


def greatest_lower_bound(keys, targets, lo=0, hi=None):
    """Index of the last key <= target within `keys[lo:hi]` (sorted), or -1 if none.

    Scalar `targets` (with scalar bounds) give an int. A Python int target takes the fast
    path, `bisect` over `keys` (best a `views.int_view`, whose items are Python ints: no
    numpy call, no copy). Arrays of targets (with scalar or per-target bounds) give an
    int64 array, found by a bisection that advances every target one step per numpy
    operation, so a batch costs ~log2(range) vector passes.
    """
    if type(targets) is int or (not isinstance(keys, np.ndarray) and np.ndim(targets) == 0):
        found = bisect_right(keys, targets, lo, len(keys) if hi is None else hi) - 1
        return found if found >= lo else -1
    if np.ndim(targets) == 0:
        hi = keys.size if hi is None else hi
        found = lo + int(np.searchsorted(keys[lo:hi], targets, side="right")) - 1
        return found if found >= lo else -1
    targets = np.asarray(targets)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), targets.shape).copy()
    hi = np.broadcast_to(np.asarray(keys.size if hi is None else hi, dtype=np.int64), targets.shape).copy()
    first = lo.copy()
    last_key = max(keys.size - 1, 0)
    while True:
        active = lo < hi
        if not active.any():
            break
        middle = (lo + hi) >> 1
        if keys.size:
            right = active & (keys[np.minimum(middle, last_key)] <= targets)
        else:
            right = np.zeros_like(active)
        lo = np.where(right, middle + 1, lo)
        hi = np.where(active & ~right, middle, hi)
    found = lo - 1
    found[found < first] = -1
    return found


__all__ = ["greatest_lower_bound"]
