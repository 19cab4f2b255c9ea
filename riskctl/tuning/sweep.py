"""The exact trade-off curve of one score threshold: a histogram of the distinct scores
(`histogram.py`), summed from the highest down.

With a strategy, everything but the swept threshold stays as the strategy says: rows its
rules and other thresholds flag are flagged at every threshold (the curve's starting point),
and the sweep adds rows by score. Rows with equal scores are one point: a threshold flags
them together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.data.values import name_missing
from riskctl.errors import UsageError
from riskctl.metrics.registry import NO_COSTS
from riskctl.strategy.schema import Costs
from riskctl.tuning.histogram import (
    SEG,
    Histogram,
    S,
    compact_indices,
    histogram,
    histogram_curve,
    totals_row,
)


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
    h = histogram(score, label, amount, base, weight=weight, extra=extra)
    return histogram_curve(
        h.points,
        totals_row(h.totals),
        amount is not None,
        compact,
        reviews,
        days,
        costs,
        weight is None,
    )


def compact_points(points: pl.DataFrame) -> pl.DataFrame:
    return points[compact_indices(points["false_positive_rate"].to_numpy()).tolist()]


MAX_ALL_POINTS = 100_000  # operating points --all-points may print


def check_all_points(points: int) -> None:
    """`points` operating points (distinct thresholds and the starting point) fit a table."""
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
    """One curve, or one per segment value (`weight`: a weighted curve)."""
    h = histogram(score, label, amount, base, segments, weight)
    return curves(h, segments is not None, amount is not None, compact, weight is None)


def curves(
    h: Histogram, segmented: bool, has_amount: bool, compact: bool, whole: bool = True
) -> list[Curve]:
    """The curves of a (merged) histogram: one, or one per segment value, rows with no
    value named by `name_missing` over every value. Every distinct threshold (not
    `compact`) is refused past MAX_ALL_POINTS: each point is a row of the table or the
    JSON, and millions of them would be held and printed at once."""
    if not compact:
        check_all_points(h.points[S].n_unique() + 1)
    totals, points = h.totals, h.points
    if not segmented:
        row = totals_row(totals)
        frame = histogram_curve(points, row, has_amount, compact, whole=whole)
        counts = (int(row[c]) for c in ("rows", "labelled_bad", "no_label"))
        return [Curve(None, frame, *counts)]
    missing = name_missing(totals[SEG].to_list())
    points, totals = (f.with_columns(pl.col(SEG).fill_null(missing)) for f in (points, totals))
    out = []
    for row in totals.sort(SEG).iter_rows(named=True):
        mine = points.filter(pl.col(SEG) == row[SEG]).drop(SEG)
        frame = histogram_curve(mine, row, has_amount, compact, whole=whole)
        rows, bad, no_label = (int(row[c]) for c in ("rows", "labelled_bad", "no_label"))
        out.append(Curve(str(row[SEG]), frame, rows, bad, no_label))
    return out
