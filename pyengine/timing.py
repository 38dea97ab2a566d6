"""Per-stage latency of the per-frame loop: durations collected per stage, summarised in ms.

Imports nothing from pyengine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Every stage the per-frame loop times, in frame order.
STAGES = ("decode", "pose", "classify", "smooth_count", "render", "write")


@dataclass(frozen=True)
class LatencySummary:
    """Per-frame time of one stage, in milliseconds, over ``n`` frames."""

    mean_ms: float
    p50_ms: float
    p95_ms: float
    n: int


class StageClock:
    """Collects per-frame durations (``perf_counter_ns``) per stage."""

    def __init__(self) -> None:
        self._samples: dict[str, list[int]] = {stage: [] for stage in STAGES}

    def add(self, stage: str, nanoseconds: int) -> None:
        """Record one frame's time for ``stage``."""
        self._samples[stage].append(nanoseconds)

    def summary(self) -> dict[str, LatencySummary]:
        """Mean, median and 95th percentile in ms for every stage that ran."""
        return {stage: summarise_ns(values) for stage, values in self._samples.items() if values}


def summarise_ns(values: Sequence[int]) -> LatencySummary:
    """Summarise durations in nanoseconds as milliseconds."""
    ms = np.asarray(values, dtype=np.float64) / 1e6
    p50, p95 = np.percentile(ms, [50, 95])
    return LatencySummary(float(ms.mean()), float(p50), float(p95), len(ms))
