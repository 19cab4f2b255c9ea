"""Which points of an exact trade-off curve a chart draws, and its false-positive axis.

A curve has a point per distinct score: millions on a large history. The chart shows the
region up to `max_x` (where the strategies operate) and draws every distinct threshold in
it when there are at most `ALL_POINTS`; past that, it draws, for every small step of catch
rate, of false-positive rate and of log false-positive rate, the first and the last
threshold inside that step. Between two drawn points the curve then moves by less than one
step in both directions, so the drawn line is never further than `1 / STEPS` of catch rate
from the exact curve, with at most a few thousand points. The thresholds a strategy uses
are always drawn exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from riskctl.errors import UsageError

ALL_POINTS = 2_000  # up to this many thresholds in the region shown, every one is drawn
STEPS = 500  # steps of catch rate and of FPR across the region: at most 0.2 points off
STEPS_PER_DECADE = 100  # steps of log10 FPR
FPR_AXES = ("log", "linear")


def check_fpr_axis(fpr_axis: str) -> None:
    if fpr_axis not in FPR_AXES:
        raise UsageError(
            f"--fpr-axis must be log or linear, not {fpr_axis!r}", hint="e.g. --fpr-axis linear"
        )


def drawn_indices(
    x: np.ndarray, y: np.ndarray, max_x: float, exact_at: Iterable[int] = ()
) -> np.ndarray:
    """Indices of the curve's points to draw, in order. `x` and `y` rise along the curve
    (false-positive and catch rate, or their amount twins); `exact_at`: points drawn
    whatever the sampling (a strategy's thresholds)."""
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # the region shown, and the first point past it, so the line reaches the chart's edge
    shown = min(int(np.searchsorted(x, max_x, side="right")) + 1, n)
    if shown <= ALL_POINTS:
        picked = np.arange(shown)
    else:
        xs, ys = np.nan_to_num(x[:shown]), np.nan_to_num(y[:shown])
        width = max_x if max_x > 0 else 1.0
        keys = np.stack(
            [
                np.floor(ys * STEPS),
                np.floor(np.minimum(xs, width) / width * STEPS),
                np.floor(np.log10(np.maximum(xs, 1e-12)) * STEPS_PER_DECADE),
            ]
        )
        change = np.flatnonzero(np.any(np.diff(keys, axis=1) != 0, axis=0))
        # the last point of each step and the first point of the next one
        picked = np.unique(np.r_[0, change, change + 1, shown - 1])
    extra = np.array([i for i in exact_at if 0 <= i < n], dtype=np.int64)
    return np.unique(np.r_[picked, extra]).astype(np.int64)


def threshold_indices(threshold: np.ndarray, values: Iterable[float]) -> list[int]:
    """The curve's point for each threshold value: the last distinct score at or above it
    (what `score >= value` flags)."""
    desc = -np.asarray(threshold, dtype=np.float64)  # the curve runs from the highest score down
    out = []
    for v in values:
        i = int(np.searchsorted(desc, -float(v), side="right")) - 1
        if i >= 0:
            out.append(i)
    return out


def log_constant(x: np.ndarray, max_x: float) -> float:
    """Where a symmetric-log axis turns from linear to logarithmic: the smallest positive
    value drawn (one good row's share), at most 5 decades under the region's edge."""
    positive = x[(x > 0) & np.isfinite(x)]
    smallest = float(positive.min()) if len(positive) else max_x / 1e4
    return max(min(smallest, max_x / 10), max_x / 1e5, 1e-12)


def log_ticks(constant: float, max_x: float) -> list[float]:
    """Tick values of a log axis from `constant` to `max_x`: 0, then 1, 2 and 5 times each
    power of ten (only the powers past 3 decades)."""
    low = math.floor(math.log10(constant))
    high = math.ceil(math.log10(max_x)) if max_x > 0 else low
    steps = (1, 2, 5) if high - low <= 3 else (1,)
    ticks = [0.0]
    for e in range(low, high + 1):
        for k in steps:
            v = float(f"{k}e{e}")
            if constant * 0.999 <= v <= max_x * 1.001:
                ticks.append(v)
    return ticks
