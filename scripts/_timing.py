"""Timing helper shared by the kernel-level benchmark scripts (run them as ``python scripts/NAME.py``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(fn: Callable[[], object], repeats: int, inner: int = 1) -> float:
    """Median milliseconds of one call of ``fn`` over ``repeats`` timings of ``inner`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) * 1000.0 / inner)
    return statistics.median(times)
