"""Timing helpers: interleaved repeated runs, robust statistics, peak Python memory."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

now = time.perf_counter


@dataclass(frozen=True)
class Stats:
    """Summary of timing samples (seconds)."""

    median: float
    p99: float
    mean: float
    n: int


def stats(samples: Sequence[float]) -> Stats:
    """Median, 99th percentile and mean of ``samples``."""
    arr = np.asarray(samples, dtype=np.float64)
    if arr.size == 0:
        return Stats(float("nan"), float("nan"), float("nan"), 0)
    return Stats(
        float(np.median(arr)), float(np.percentile(arr, 99)), float(arr.mean()), int(arr.size)
    )


def interleave(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[Any]]:
    """Call every run ``repeats`` times, alternating between them (raw, h5layout, raw…).

    Alternating spreads the machine's noise over every contender instead of letting a
    busy moment land on one of them. Garbage collection runs between calls, not inside.
    """
    out: dict[str, list[Any]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            out[name].append(run())
    return out


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    """Wall time of ``repeats`` calls of ``fn``."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        t0 = now()
        fn()
        samples.append(now() - t0)
    return samples


class PeakMemory:
    """Python heap peak (tracemalloc) between :meth:`start` and :meth:`stop`, in bytes."""

    def __init__(self) -> None:
        self.peak = 0
        self.base = 0
        self.end = 0

    def start(self) -> None:
        """Begin tracing (or reset the peak if already tracing)."""
        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start()
        tracemalloc.reset_peak()
        self.base = tracemalloc.get_traced_memory()[0]

    def sample(self) -> int:
        """Currently traced bytes above the start."""
        return tracemalloc.get_traced_memory()[0] - self.base

    def stop(self) -> int:
        """Stop tracing; return the peak above the start."""
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.peak = peak - self.base
        self.end = current - self.base
        return self.peak
