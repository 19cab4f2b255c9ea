"""A score's trade-off curve as a reduction: its histogram, and the curve a histogram gives.

Per (segment, distinct score) the histogram holds the rows, bad and good rows and amounts a
threshold newly flags there; per segment, the totals and what is flagged whatever the
threshold (the curve's starting point). A threshold flags every row with a score at or
above it, so only the distinct scores and their sums matter: the histograms of a table's
parts, merged, are the histogram of the table, and summed from the highest score down they
give every operating point exactly. One machine reduces a whole table; a cluster reduces
each part and merges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.metrics.registry import NO_COSTS, Counts, curve_columns
from riskctl.strategy.schema import Costs

SEG, S = "segment", "s"
SUMS = ("n", "b", "g", "a", "ga")  # newly flagged rows, bad, good, bad amount, good amount
FPR_TARGETS = (0.001, 0.005, 0.01, 0.02, 0.05)
COMPACT_POINTS = 40


@dataclass(frozen=True)
class Histogram:
    points: pl.DataFrame  # per (segment, s): SUMS newly flagged, and `x_<name>` extra sums
    totals: pl.DataFrame  # per segment: rows, labels, starting point, amount squares


def histogram(
    score: np.ndarray,
    label: np.ndarray,
    amount: np.ndarray | None = None,
    base: np.ndarray | None = None,
    segments: pl.Series | np.ndarray | None = None,
    weight: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> Histogram:
    """The histogram of rows: `score` (NaN: never changes), `label` (1 bad, 0 good, NaN no
    usable label: in flagged and alert rate only), `amount`, `base` (flagged whatever the
    threshold), `segments` (a segment value per row; missing ones are named when the curves
    are drawn), `weight` (each labelled row's weight in the label sums), `extra` (per-row
    values summed over the rows a threshold reaches, base rows included)."""
    score = np.asarray(score, dtype=np.float64)
    lab, n = np.asarray(label, dtype=np.float64), len(score)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    bad, good = pl.Series((lab == 1) * w), pl.Series((lab == 0) * w)
    base_ = pl.Series(np.zeros(n, dtype=bool) if base is None else np.asarray(base, dtype=bool))
    amt = pl.Series(np.zeros(n) if amount is None else np.nan_to_num(np.asarray(amount, float)))
    if isinstance(segments, pl.Series):
        seg = segments.cast(pl.String).alias(SEG)
    else:
        seg = pl.Series(SEG, [None] * n if segments is None else segments, dtype=pl.String)
    extra = extra or {}
    rows = pl.DataFrame(
        {
            SEG: seg,
            S: score,
            "lab": lab,
            "bad": bad,
            "good": good,
            "base": base_,
            "amt": amt,
            **{f"x_{k}": np.asarray(v, np.float64) for k, v in extra.items()},
        }
    )
    return _reduce(rows, list(extra))


def _reduce(rows: pl.DataFrame, extra: list[str]) -> Histogram:
    b, g, a, base = pl.col("bad"), pl.col("good"), pl.col("amt"), pl.col("base")
    new = (~base).cast(pl.Float64)
    on = base.cast(pl.Float64)
    points = (
        rows.filter(pl.col(S).is_not_nan())
        .group_by(SEG, S)
        .agg(
            n=new.sum(),
            b=(b * new).sum(),
            g=(g * new).sum(),
            a=(b * new * a).sum(),
            ga=(g * new * a).sum(),
            **{f"x_{k}": pl.col(f"x_{k}").sum() for k in extra},
        )
    )
    totals = rows.group_by(SEG).agg(
        rows=pl.len().cast(pl.Int64),
        no_label=pl.col("lab").is_nan().sum().cast(pl.Int64),
        labelled_bad=(pl.col("lab") == 1).sum().cast(pl.Int64),
        bad=b.sum(),
        good=g.sum(),
        bad_amount=(b * a).sum(),
        good_amount=(g * a).sum(),
        n0=on.sum(),
        b0=(b * on).sum(),
        g0=(g * on).sum(),
        a0=(b * on * a).sum(),
        ga0=(g * on * a).sum(),
        amount_sq=(a * a).sum(),
    )
    return Histogram(points, totals)


def merge_histograms(parts: list[Histogram]) -> Histogram:
    """The histogram of a table from the histograms of its parts."""
    points = pl.concat([h.points for h in parts]).group_by(SEG, S).agg(pl.all().sum())
    totals = pl.concat([h.totals for h in parts]).group_by(SEG).agg(pl.all().sum())
    return Histogram(points, totals)


def histogram_curve(
    points: pl.DataFrame,
    totals: dict[str, Any],
    has_amount: bool,
    compact: bool = False,
    reviews: float | None = None,
    days: int = 0,
    costs: Costs = NO_COSTS,
    whole: bool = True,
) -> pl.DataFrame:
    """Every operating point of one segment's histogram (`points`, `totals`: its row of
    `Histogram.totals`), from the highest threshold down, with every registry metric.
    `reviews`: reviews at the starting point, to which the `review` extra adds; `whole`:
    label counts are whole numbers (not weighted)."""
    names = [c[2:] for c in points.columns if c.startswith("x_")]
    sums = points.sort(S, descending=True).select(
        pl.col(S),
        *[pl.col(c).cum_sum().alias(f"c{c}") for c in SUMS],
        *[pl.col(f"x_{k}").cum_sum().alias(f"cx_{k}") for k in names],
    )
    b0, g0 = float(totals["b0"]), float(totals["g0"])
    if compact:  # pick the points first: millions of thresholds, a few dozen shown
        total_good = float(totals["good"])
        good_cum = np.r_[g0, g0 + sums["cg"].to_numpy()]
        picked = compact_indices(good_cum / total_good if total_good else good_cum * 0)
        sums = sums[(picked[1:] - 1).tolist()]  # index 0 is the starting point

    def cum(column: str, start: float) -> np.ndarray:
        return np.r_[start, start + sums[column].to_numpy()]

    counts = Counts(
        rows=int(totals["rows"]),
        bad=float(totals["bad"]),
        good=float(totals["good"]),
        flagged=cum("cn", float(totals["n0"])),  # rows with no label count here too
        flagged_bad=cum("cb", b0),
        flagged_good=cum("cg", g0),
        bad_amount=float(totals["bad_amount"]) if has_amount else None,
        bad_amount_caught=cum("ca", float(totals["a0"])) if has_amount else None,
        good_amount=float(totals["good_amount"]) if has_amount else None,
        good_amount_impacted=cum("cga", float(totals["ga0"])) if has_amount else None,
        reviews=(reviews + cum("cx_review", 0.0)) if reviews is not None else 0,
        days=days,
    )
    cols = {"threshold": np.r_[np.inf, sums[S].to_numpy()]}
    cols.update(_columns(counts, costs, reviews is not None, whole))
    for name in names:
        cols[f"cum_{name}"] = cum(f"cx_{name}", 0.0)
    return pl.DataFrame(cols)


def totals_row(totals: pl.DataFrame) -> dict[str, Any]:
    """The one segment's totals (zeros when the histogram holds no row)."""
    return totals.row(0, named=True) if totals.height else {c: 0 for c in totals.columns}


def _columns(counts: Counts, costs: Costs, with_reviews: bool, whole: bool) -> dict[str, Any]:
    """Count and metric columns; label counts are whole numbers unless weighted."""
    kind = np.int64 if whole else np.float64
    cols: dict[str, Any] = {
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
