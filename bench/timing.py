"""Timing helpers: one warm-up run, then repetitions until a time budget is spent.

Every figure reported is the median of the timed repetitions (never the warm-up).
``gc.collect()`` runs before each repetition, outside the timed region; the collector
stays enabled inside it, as it would be in the service.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    median_s: float
    runs: int

    @property
    def ms(self) -> float:
        return self.median_s * 1e3


def measure(
    fn: Callable[[], object],
    *,
    budget_s: float = 1.5,
    min_runs: int = 3,
    max_runs: int = 25,
) -> Timing:
    """Median wall time of ``fn()``: 1 warm-up, then at least ``min_runs`` runs and more
    while the budget lasts (at most ``max_runs``)."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or (
        len(times) < max_runs and time.perf_counter() - start < budget_s
    ):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Timing(statistics.median(times), len(times))
