"""The exact trade-off curve of one score threshold: one sort and cumulative sums.

With a strategy, everything but the swept threshold stays as the strategy says: rows its
rules and other thresholds flag are flagged at every threshold (the curve's starting point),
and the sweep adds rows by score. Rows with equal scores are one point: a threshold flags
them together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

FPR_TARGETS = (0.001, 0.005, 0.01, 0.02, 0.05)
COMPACT_POINTS = 40


@dataclass(frozen=True)
class Curve:
    """Operating points from the highest threshold down; row 0 is the starting point
    (threshold +inf: only what the strategy flags regardless of this score)."""

    segment: str | None
    points: pl.DataFrame
    rows: int
    bad: int

    def compact(self) -> Curve:
        return Curve(self.segment, compact_points(self.points), self.rows, self.bad)


def curve_frame(score: np.ndarray, label: np.ndarray, amount: np.ndarray | None = None,
                base: np.ndarray | None = None, extra: dict[str, np.ndarray] | None = None
                ) -> pl.DataFrame:
    """Every distinct-threshold operating point, exactly.

    `base` marks rows flagged whatever the threshold. `extra` columns (per row) are summed
    over newly flagged rows too (e.g. review-count changes) as `cum_<name>`.
    """
    score = np.asarray(score, dtype=np.float64)
    bad = np.asarray(label).astype(bool)
    n = len(score)
    base = np.zeros(n, dtype=bool) if base is None else np.asarray(base, dtype=bool)
    amt = np.zeros(n) if amount is None else np.nan_to_num(np.asarray(amount, np.float64))
    total_bad, total_good = int(bad.sum()), int((~bad).sum())
    bad_amount, good_amount = float(amt[bad].sum()), float(amt[~bad].sum())
    rest = np.flatnonzero(~base & ~np.isnan(score))
    order = rest[np.argsort(-score[rest], kind="stable")]
    s = score[order]
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, dtype=bool)

    def cum(values: np.ndarray, start: float) -> np.ndarray:
        return np.r_[start, start + np.cumsum(values[order])[last]]

    flagged_bad = cum(bad.astype(np.float64), float((base & bad).sum()))
    flagged_good = cum((~bad).astype(np.float64), float((base & ~bad).sum()))
    caught_amount = cum(np.where(bad, amt, 0.0), float(amt[base & bad].sum()))
    hit_amount = cum(np.where(bad, 0.0, amt), float(amt[base & ~bad].sum()))
    flagged = flagged_bad + flagged_good
    with np.errstate(invalid="ignore", divide="ignore"):
        cols: dict[str, np.ndarray] = {
            "threshold": np.r_[np.inf, s[last]],
            "flagged": flagged.astype(np.int64),
            "flagged_bad": flagged_bad.astype(np.int64),
            "flagged_good": flagged_good.astype(np.int64),
            "catch_rate": flagged_bad / total_bad if total_bad else np.zeros_like(flagged),
            "false_positive_rate": (flagged_good / total_good if total_good
                                    else np.zeros_like(flagged)),
            "precision": np.where(flagged > 0, flagged_bad / np.maximum(flagged, 1), np.nan),
            "alert_rate": flagged / n if n else np.zeros_like(flagged),
        }
        if amount is not None:
            cols["bad_amount_caught"] = caught_amount
            cols["amount_catch_rate"] = caught_amount / bad_amount if bad_amount else \
                np.zeros_like(flagged)
            cols["good_amount_impacted"] = hit_amount
            cols["good_amount_impacted_rate"] = hit_amount / good_amount if good_amount else \
                np.zeros_like(flagged)
    for name, values in (extra or {}).items():
        cols[f"cum_{name}"] = cum(np.asarray(values, np.float64), 0.0)
    return pl.DataFrame(cols)


def compact_points(points: pl.DataFrame) -> pl.DataFrame:
    """A readable subset: the starting point, the last point within each FPR target
    (exact), evenly spread points in between, and the end."""
    n = points.height
    if n <= COMPACT_POINTS + len(FPR_TARGETS) + 2:
        return points
    fpr = points["false_positive_rate"].to_numpy()
    keep = {0, n - 1}
    for target in FPR_TARGETS:
        within = np.flatnonzero(fpr <= target + 1e-15)
        if len(within):
            keep.add(int(within[-1]))
    keep |= set(np.linspace(0, n - 1, COMPACT_POINTS).round().astype(int).tolist())
    return points[sorted(keep)]


def sweep(score: np.ndarray, label: np.ndarray, amount: np.ndarray | None = None,
          base: np.ndarray | None = None, segments: np.ndarray | None = None) -> list[Curve]:
    """One curve, or one per segment value."""
    label = np.asarray(label)
    if segments is None:
        return [Curve(None, curve_frame(score, label, amount, base), len(label),
                      int(label.sum()))]
    curves = []
    values = np.asarray(segments, dtype=object)
    for value in sorted({str(v) for v in values}):
        mask = np.array([str(v) == value for v in values])
        curves.append(Curve(value, curve_frame(
            np.asarray(score)[mask], label[mask],
            None if amount is None else np.asarray(amount)[mask],
            None if base is None else np.asarray(base)[mask]), int(mask.sum()),
            int(label[mask].sum())))
    return curves
