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


def curve_frame(
    score: np.ndarray,
    label: np.ndarray,
    amount: np.ndarray | None = None,
    base: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
    compact: bool = False,
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
    extra = extra or {}
    # polars sorts on every core; ties need no order, as only a tie group's last row counts
    rows = pl.DataFrame(
        {
            "s": score,
            "bad": bad.astype(np.float64),
            "amt": amt,
            "base": base,
            **{f"x_{k}": np.asarray(v, np.float64) for k, v in extra.items()},
        }
    )
    rest = rows.filter(~pl.col("base") & pl.col("s").is_not_nan()).sort("s", descending=True)
    sums = rest.select(
        pl.col("s"),
        pl.col("bad").cum_sum().alias("cb"),
        (1.0 - pl.col("bad")).cum_sum().alias("cg"),
        (pl.col("bad") * pl.col("amt")).cum_sum().alias("ca"),
        ((1.0 - pl.col("bad")) * pl.col("amt")).cum_sum().alias("cga"),
        *[pl.col(f"x_{k}").cum_sum().alias(f"cx_{k}") for k in extra],
    ).filter(pl.col("s") != pl.col("s").shift(-1).fill_null(np.nan))
    in_base = (
        rows.filter(pl.col("base"))
        .select(
            pl.col("bad").sum().alias("b"),
            (1.0 - pl.col("bad")).sum().alias("g"),
            (pl.col("bad") * pl.col("amt")).sum().alias("a"),
            ((1.0 - pl.col("bad")) * pl.col("amt")).sum().alias("ga"),
        )
        .row(0)
    )
    b0, g0, a0, ga0 = (float(v or 0.0) for v in in_base)

    if compact:  # pick the points first: millions of thresholds, a few dozen shown
        good_cum = np.r_[g0, g0 + sums["cg"].to_numpy()]
        picked = compact_indices(good_cum / total_good if total_good else good_cum * 0)
        sums = sums[(picked[1:] - 1).tolist()]  # index 0 is the starting point

    def cum(column: str, start: float) -> np.ndarray:
        return np.r_[start, start + sums[column].to_numpy()]

    flagged_bad = cum("cb", b0)
    flagged_good = cum("cg", g0)
    caught_amount = cum("ca", a0)
    hit_amount = cum("cga", ga0)
    s_last = sums["s"].to_numpy()
    flagged = flagged_bad + flagged_good
    with np.errstate(invalid="ignore", divide="ignore"):
        cols: dict[str, np.ndarray] = {
            "threshold": np.r_[np.inf, s_last],
            "flagged": flagged.astype(np.int64),
            "flagged_bad": flagged_bad.astype(np.int64),
            "flagged_good": flagged_good.astype(np.int64),
            "catch_rate": flagged_bad / total_bad if total_bad else np.zeros_like(flagged),
            "false_positive_rate": (
                flagged_good / total_good if total_good else np.zeros_like(flagged)
            ),
            "precision": np.where(flagged > 0, flagged_bad / np.maximum(flagged, 1), np.nan),
            "alert_rate": flagged / n if n else np.zeros_like(flagged),
        }
        if amount is not None:
            cols["bad_amount_caught"] = caught_amount
            cols["amount_catch_rate"] = (
                caught_amount / bad_amount if bad_amount else np.zeros_like(flagged)
            )
            cols["good_amount_impacted"] = hit_amount
            cols["good_amount_impacted_rate"] = (
                hit_amount / good_amount if good_amount else np.zeros_like(flagged)
            )
    for name in extra:
        cols[f"cum_{name}"] = cum(f"cx_{name}", 0.0)
    return pl.DataFrame(cols)


def compact_indices(fpr: np.ndarray) -> np.ndarray:
    """A readable subset of a curve's points: the starting point, the last point within each
    FPR target (exact), evenly spread points in between, and the end."""
    n = len(fpr)
    if n <= COMPACT_POINTS + len(FPR_TARGETS) + 2:
        return np.arange(n)
    keep = {0, n - 1}
    for target in FPR_TARGETS:
        within = np.flatnonzero(fpr <= target + 1e-15)
        if len(within):
            keep.add(int(within[-1]))
    keep |= set(np.linspace(0, n - 1, COMPACT_POINTS).round().astype(int).tolist())
    return np.array(sorted(keep))


def compact_points(points: pl.DataFrame) -> pl.DataFrame:
    return points[compact_indices(points["false_positive_rate"].to_numpy()).tolist()]


def sweep(
    score: np.ndarray,
    label: np.ndarray,
    amount: np.ndarray | None = None,
    base: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    compact: bool = False,
) -> list[Curve]:
    """One curve, or one per segment value."""
    label = np.asarray(label)
    if segments is None:
        return [
            Curve(
                None,
                curve_frame(score, label, amount, base, compact=compact),
                len(label),
                int(label.sum()),
            )
        ]
    curves = []
    values = np.asarray(segments, dtype=object)
    for value in sorted({str(v) for v in values}):
        mask = np.array([str(v) == value for v in values])
        curves.append(
            Curve(
                value,
                curve_frame(
                    np.asarray(score)[mask],
                    label[mask],
                    None if amount is None else np.asarray(amount)[mask],
                    None if base is None else np.asarray(base)[mask],
                    compact=compact,
                ),
                int(mask.sum()),
                int(label[mask].sum()),
            )
        )
    return curves
