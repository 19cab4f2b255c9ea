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

from riskctl.errors import UsageError
from riskctl.metrics.registry import NO_COSTS, Counts, curve_columns
from riskctl.strategy.schema import Costs

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
    no_label: int = 0  # rows with no usable label (in flagged and alert rate only)

    def compact(self) -> Curve:
        return Curve(self.segment, compact_points(self.points), self.rows, self.bad, self.no_label)

    def curve(self) -> pl.DataFrame:
        """The operating points with the segment they belong to in a `segment` column (all
        rows: null), so the curves of a `by=` sweep stack with `pl.concat`."""
        return self.points.with_columns(pl.lit(self.segment, pl.String).alias("segment"))


def curve_frame(
    score: np.ndarray,
    label: np.ndarray,
    amount: np.ndarray | None = None,
    base: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
    compact: bool = False,
    reviews: float | None = None,
    days: int = 0,
    costs: Costs = NO_COSTS,
    weight: np.ndarray | None = None,
) -> pl.DataFrame:
    """Every distinct-threshold operating point, exactly, with every registry metric.

    `base` marks rows flagged whatever the threshold; rows with a NaN score never change.
    A base row with a score still moves `extra` columns (per row, summed over the rows the
    threshold reaches as `cum_<name>`, e.g. review-count changes) but not the flag counts.
    `reviews`: reviews at the starting point, to which `extra["review"]` adds. A NaN label
    (no usable label) counts in flagged and alert rate only. `weight`: each labelled row's
    weight in the label sums (inverse propensity: a weighted curve).
    """
    score, lab = np.asarray(score, dtype=np.float64), np.asarray(label, dtype=np.float64)
    n = len(score)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    bad, good = (lab == 1) * w, (lab == 0) * w
    base = np.zeros(n, dtype=bool) if base is None else np.asarray(base, dtype=bool)
    amt = np.zeros(n) if amount is None else np.nan_to_num(np.asarray(amount, np.float64))
    extra = extra or {}
    sums = _cumulative(score, bad, good, base, amt, extra)
    b0, g0 = float(bad[base].sum()), float(good[base].sum())
    a0, ga0 = float((amt * bad)[base].sum()), float((amt * good)[base].sum())
    if compact:  # pick the points first: millions of thresholds, a few dozen shown
        total_good = float(good.sum())
        good_cum = np.r_[g0, g0 + sums["cg"].to_numpy()]
        picked = compact_indices(good_cum / total_good if total_good else good_cum * 0)
        sums = sums[(picked[1:] - 1).tolist()]  # index 0 is the starting point

    def cum(column: str, start: float) -> np.ndarray:
        return np.r_[start, start + sums[column].to_numpy()]

    flagged_bad, flagged_good, has_amount = cum("cb", b0), cum("cg", g0), amount is not None
    counts = Counts(
        rows=n,
        bad=float(bad.sum()),
        good=float(good.sum()),
        flagged=cum("cn", float(base.sum())),
        flagged_bad=flagged_bad,
        flagged_good=flagged_good,
        bad_amount=float((amt * bad).sum()) if has_amount else None,
        bad_amount_caught=cum("ca", a0) if has_amount else None,
        good_amount=float((amt * good).sum()) if has_amount else None,
        good_amount_impacted=cum("cga", ga0) if has_amount else None,
        reviews=(reviews + cum("cx_review", 0.0)) if reviews is not None else 0,
        days=days,
    )
    cols = {"threshold": np.r_[np.inf, sums["s"].to_numpy()]}
    cols.update(_columns(counts, costs, reviews is not None, weight is None))
    for name in extra:
        cols[f"cum_{name}"] = cum(f"cx_{name}", 0.0)
    return pl.DataFrame(cols)


def _columns(
    counts: Counts, costs: Costs, with_reviews: bool, whole: bool = True
) -> dict[str, np.ndarray]:
    """Count and metric columns; label counts are whole numbers unless weighted."""
    kind = np.int64 if whole else np.float64
    cols: dict[str, np.ndarray] = {
        "flagged": np.asarray(counts.flagged).round().astype(np.int64),
        "flagged_bad": np.asarray(counts.flagged_bad).astype(kind),
        "flagged_good": np.asarray(counts.flagged_good).astype(kind),
    }
    if counts.bad_amount is not None:
        cols["bad_amount_caught"] = counts.bad_amount_caught
        cols["good_amount_impacted"] = counts.good_amount_impacted
    if with_reviews:
        cols["reviews"] = np.asarray(counts.reviews, dtype=np.float64)
    metrics = curve_columns(counts, costs)
    if not with_reviews:  # without review counts, neither load nor cost is known
        metrics.pop("review_per_day", None)
        metrics.pop("expected_cost", None)
    return {**cols, **metrics}


def _cumulative(
    score: np.ndarray,
    bad: np.ndarray,
    good: np.ndarray,
    base: np.ndarray,
    amt: np.ndarray,
    extra: dict[str, np.ndarray],
) -> pl.DataFrame:
    """Cumulative newly flagged rows, (weighted) bad/good rows and amounts (and `extra`
    sums) from the highest score down, one row per distinct score."""
    new = (~base).astype(np.float64)
    rows = pl.DataFrame(
        {
            "s": score,
            "n": new,
            "b": bad * new,
            "g": good * new,
            "a": bad * new * amt,
            "ga": good * new * amt,
            **{f"x_{k}": np.asarray(v, np.float64) for k, v in extra.items()},
        }
    )
    # polars sorts on every core; ties need no order, as only a tie group's last row counts
    return (
        rows.filter(pl.col("s").is_not_nan())
        .sort("s", descending=True)
        .select(
            pl.col("s"),
            *[pl.col(c).cum_sum().alias(f"c{c}") for c in ("n", "b", "g", "a", "ga")],
            *[pl.col(f"x_{k}").cum_sum().alias(f"cx_{k}") for k in extra],
        )
        .filter(pl.col("s") != pl.col("s").shift(-1).fill_null(np.nan))
    )


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


MAX_ALL_POINTS = 100_000  # operating points --all-points may print


def check_all_points(score: np.ndarray) -> None:
    finite = np.asarray(score, dtype=np.float64)
    points = int(np.unique(finite[~np.isnan(finite)]).size) + 1
    if points > MAX_ALL_POINTS:
        raise UsageError(
            f"--all-points: {points:,} distinct thresholds, more than the {MAX_ALL_POINTS:,} "
            "operating points a table or JSON may hold",
            hint="leave out --all-points for the compact set, or round the scores first",
        )


def sweep(
    score: np.ndarray,
    label: np.ndarray,
    amount: np.ndarray | None = None,
    base: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    compact: bool = False,
    weight: np.ndarray | None = None,
) -> list[Curve]:
    """One curve, or one per segment value (`weight`: a weighted curve). Every distinct
    threshold (not `compact`) is refused past MAX_ALL_POINTS: each point is a row of the
    table or the JSON, and millions of them would be held and printed at once."""
    label = np.asarray(label, dtype=np.float64)
    if not compact:
        check_all_points(score)
    if segments is None:
        return [
            Curve(
                None,
                curve_frame(score, label, amount, base, compact=compact, weight=weight),
                len(label),
                int((label == 1).sum()),
                int(np.isnan(label).sum()),
            )
        ]
    curves = []
    values = np.array([str(v) for v in segments], dtype=object)  # once: linear in the rows
    for value in sorted(set(values)):
        mask = values == value
        curves.append(
            Curve(
                value,
                curve_frame(
                    np.asarray(score)[mask],
                    label[mask],
                    None if amount is None else np.asarray(amount)[mask],
                    None if base is None else np.asarray(base)[mask],
                    compact=compact,
                    weight=None if weight is None else np.asarray(weight)[mask],
                ),
                int(mask.sum()),
                int((label[mask] == 1).sum()),
                int(np.isnan(label[mask]).sum()),
            )
        )
    return curves
