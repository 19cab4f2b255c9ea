"""Strategy metrics exactly as docs/explanation/metrics.md defines them.

Every row counts in alert rate and review load; label metrics count only rows whose label is
usable (present and matured), and say how many rows had none and why (`outcomes/coverage.py`).

One polars aggregation gives the `Counts`; the registry turns them into every metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from riskctl.metrics.intervals import Proportion, wilson
from riskctl.metrics.registry import METRICS, Counts, metric
from riskctl.outcomes.coverage import WHY, Coverage
from riskctl.outcomes.estimates import DecidedRows, ThreeWays, strategy_estimates
from riskctl.simulation.cells import (
    Cells,
    Side,
    cell_query,
    mask_column,
    mask_expr,
    maturity_cutoff,
    ranks,
    segment_code,
    segment_column,
    sorted_cells,
)
from riskctl.simulation.roles import Roles
from riskctl.strategy.decisions import FLAGGED, SEGMENT, DecisionSchema, decision_schema
from riskctl.strategy.schema import Strategy

__all__ = ["Roles", "StrategyMetrics", "compute_metrics", "metrics_from_cells"]

METRIC_NAMES = [m.key for m in METRICS]
# the daily series: its counts, and the registry metrics read from them per day
COUNTED = ("rows", "bad", "good", "flagged", "flagged_bad", "flagged_good", "reviews")
DAILY_METRICS = ("catch_rate", "false_positive_rate")


@dataclass(frozen=True)
class StrategyMetrics:
    """Counts and every registry metric of one strategy's decisions (`m.catch_rate`,
    `m["expected_cost"]`), plus per-action breakdowns."""

    counts: Counts
    values: dict[str, Proportion | float | None]
    catch_rate_by_action: dict[str, Proportion]
    rows_by_action: dict[str, int]
    review_capacity_per_day: float | None
    left_out_immature: int  # rows whose label has not matured (in alert rate, not labels)
    notes: list[str] = field(default_factory=list)
    estimates: dict[str, ThreeWays] = field(default_factory=dict)  # naive, bounds, estimate

    @property
    def review_per_day_peak(self) -> float | None:
        """The most rows sent to review on one day (the `review_peak_per_day` metric)."""
        return None if self.counts.review_peak is None else float(self.counts.review_peak)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("counts", "values", "estimates"):
            raise AttributeError(name)
        if name in self.values:
            return self.values[name]
        counts = self.counts
        if hasattr(counts, name):
            return getattr(counts, name)
        raise AttributeError(name)

    def __getitem__(self, key: str) -> Proportion | float | None:
        return self.values[key]

    def value(self, name: str) -> float | None:
        attr = getattr(self, name)
        return attr.value if isinstance(attr, Proportion) else attr

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.counts.to_dict())
        for key, val in self.values.items():
            if isinstance(val, Proportion):
                out[key] = val.value
                out[f"{key}_interval"] = [val.low, val.high]
            else:
                out[key] = val
        out["catch_rate_by_action"] = {k: v.value for k, v in self.catch_rate_by_action.items()}
        out["rows_by_action"] = dict(self.rows_by_action)
        out["review_per_day_peak"] = self.review_per_day_peak
        out["review_capacity_per_day"] = self.review_capacity_per_day
        out["left_out_immature"] = self.left_out_immature
        out["no_label"] = {
            "total": int(self.counts.no_label),
            "unlabelled": int(self.counts.unlabelled),
            "immature": int(self.counts.immature),
            "blocked": int(self.counts.blocked),
        }
        out["estimates"] = {k: v.to_dict() for k, v in self.estimates.items()}
        out["notes"] = list(self.notes)
        return out


def matured(df: pl.DataFrame, roles: Roles, maturity_days: float) -> pl.Series:
    """True for rows old enough (vs the newest row, or `roles.as_of`) for their label to
    count."""
    if maturity_days <= 0 or roles.time is None:
        return pl.Series(values=[True] * df.height, dtype=pl.Boolean)
    return df[roles.time] <= maturity_cutoff(df.lazy(), roles, maturity_days)


def kept(df: pl.DataFrame, keep: pl.Series) -> pl.DataFrame:
    """The matured rows; the frame itself when all are (no copy of millions of rows)."""
    return df if keep.all() else df.filter(keep)


def decided_cells(
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    roles: Roles,
    keep: pl.Series,
    by: list[str] | None = None,
    side: str = "",
) -> Cells:
    """The cells of an already decided frame (its hit columns and segment)."""
    frame = decisions.lazy().with_columns(keep.alias("_keep"))
    names = decisions[SEGMENT].drop_nulls().unique().sort().to_list()
    frame = frame.with_columns(
        mask_expr(schema).alias(mask_column(side)),
        segment_code(SEGMENT, names).alias(segment_column(side)),
    )
    sides = [Side(side, len(schema.deciders), tuple(names))]
    cells = cell_query(frame, sides, roles, {side: pl.col("_keep")}, by or []).collect()
    return Cells(sorted_cells(cells), roles, by or [])


def compute_metrics(
    decisions: pl.DataFrame, strategy: Strategy, roles: Roles, keep: pl.Series | None = None
) -> StrategyMetrics:
    """Metrics of one strategy's decisions frame (hit columns, segment, label...).

    `keep` marks the rows whose label has matured; by default it is worked out here.
    """
    if keep is None:
        keep = matured(decisions, roles, strategy.label_maturity_days)
    cells = decided_cells(decisions, decision_schema(strategy), roles, keep)
    return metrics_from_cells(cells, "", decision_schema(strategy), strategy)


def metrics_from_cells(
    cells: Cells, side: str, schema: DecisionSchema, strategy: Strategy, days: int | None = None
) -> StrategyMetrics:
    """Every registry metric of one strategy, exactly, from the cells. `days`: what review
    load is per (default: the days these cells have rows on; a `--by` value's load is per
    day of the whole history, so the values' loads add up to the total)."""
    m = cells.matured(side)
    rank = ranks(cells.bits(side, schema), schema)
    n, label = cells.rows, cells.label
    flagged = rank != schema.pass_rank
    review = np.isin(rank, [schema.rank(a) for a in schema.reviews])
    bad, good = m & (label == 1), m & (label == 0)
    amount = cells.amount if cells.roles.amount else None
    if days is None:
        days = active_days(cells)
    blocked = m & (label == -1) & cells.stopped & ~cells.control
    peak, over = _review_days(cells, review, strategy) if strategy.review_actions else (None, None)
    counts = Counts(
        rows=int(n.sum()),
        bad=int(n[bad].sum()),
        good=int(n[good].sum()),
        flagged=int(n[flagged].sum()),
        flagged_bad=int(n[bad & flagged].sum()),
        flagged_good=int(n[good & flagged].sum()),
        bad_amount=None if amount is None else float(amount[bad].sum()),
        bad_amount_caught=None if amount is None else float(amount[bad & flagged].sum()),
        good_amount=None if amount is None else float(amount[good].sum()),
        good_amount_impacted=None if amount is None else float(amount[good & flagged].sum()),
        reviews=int(n[review].sum()),
        days=int(days),
        review_peak=peak,
        days_over_capacity=over,
        unlabelled=int(n[m & (label == -1) & ~blocked].sum()),
        immature=int(n[~m].sum()),
        blocked=int(n[blocked].sum()),
    )
    by_rank = {a: rank == schema.rank(a) for a in strategy.actions}
    notes = []
    if not cells.roles.amount:
        notes.append("no amount column: each missed bad row costs 1 in expected_cost")
    if counts.no_label:
        notes.append(no_label_text(counts) + ": counted in alert rate and review load only")
    costs = strategy.costs
    return StrategyMetrics(
        counts=counts,
        values={metric.key: metric.measure(counts, costs) for metric in METRICS},
        catch_rate_by_action={
            a: wilson(int(n[by_rank[a] & bad].sum()), counts.bad) for a in strategy.actions[:-1]
        },
        rows_by_action={a: int(n[w].sum()) for a, w in by_rank.items()},
        review_capacity_per_day=strategy.review_capacity_per_day,
        left_out_immature=int(n[~m].sum()),
        notes=notes,
    )


def active_days(cells: Cells) -> int:
    """Days on which the cells have rows (0 without a time column)."""
    if not cells.roles.time:
        return 0
    return int(cells.day.filter(pl.Series(cells.rows > 0)).drop_nulls().n_unique())


def _review_days(
    cells: Cells, review: np.ndarray, strategy: Strategy
) -> tuple[float | None, int | None]:
    """The most rows sent to review on one calendar day, and the number of days whose
    reviews exceed the strategy's review capacity (None: no time column, or no capacity)."""
    if cells.roles.time is None:
        return None, None
    capacity = strategy.review_capacity_per_day
    if not review.any():  # no day had a review
        return 0.0, (None if capacity is None else 0)
    per_day = pl.DataFrame({"day": cells.day, "n": np.where(review, cells.rows, 0)})
    reviews = per_day.group_by("day").agg(pl.col("n").sum())["n"]
    peak = float(reviews.max() or 0)  # type: ignore[arg-type]
    return peak, (None if capacity is None else int((reviews > capacity).sum()))


def daily_from_cells(
    cells: Cells, side: str, schema: DecisionSchema, strategy: Strategy
) -> pl.DataFrame:
    """One row per calendar day: rows, flagged and reviews (every row), bad, catch rate and
    FPR (rows with a usable label), reviews against capacity."""
    if cells.roles.time is None:
        return pl.DataFrame()
    m = cells.matured(side)
    rank = ranks(cells.bits(side, schema), schema)
    n, label = cells.rows, cells.label
    flagged = rank != schema.pass_rank
    review = np.isin(rank, [schema.rank(a) for a in schema.reviews])
    frame = pl.DataFrame(
        {
            "day": cells.day,
            "rows": n,
            "bad": np.where(m & (label == 1), n, 0),
            "good": np.where(m & (label == 0), n, 0),
            "flagged": np.where(flagged, n, 0),
            "flagged_bad": np.where(flagged & m & (label == 1), n, 0),
            "flagged_good": np.where(flagged & m & (label == 0), n, 0),
            "reviews": np.where(review, n, 0),
        }
    )
    capacity = strategy.review_capacity_per_day
    days = frame.group_by("day").agg(pl.all().sum()).sort("day")
    counts = Counts(**{c: days[c].to_numpy() for c in COUNTED})
    return days.with_columns(
        **{k: pl.Series(k, metric(k).value(counts), dtype=pl.Float64) for k in DAILY_METRICS},
        over_capacity=(pl.col("reviews") > capacity)
        if capacity is not None
        else pl.lit(None, dtype=pl.Boolean),
    )


def no_label_text(counts: Counts) -> str:
    """`1,204 rows with no usable label (1,000 blocked by production, 204 immature)`."""
    parts = [
        f"{int(getattr(counts, k)):,} {WHY[k]}"
        for k in ("blocked", "immature", "unlabelled")
        if getattr(counts, k)
    ]
    total = int(counts.no_label)
    return f"{total:,} row{'s' if total != 1 else ''} with no usable label ({', '.join(parts)})"


def row_inputs(decisions: pl.DataFrame, roles: Roles, coverage: Coverage) -> DecidedRows:
    """What the three ways need, per row, from a decisions frame."""
    amount = (
        decisions[roles.amount].cast(pl.Float64).fill_null(0.0).to_numpy() if roles.amount else None
    )
    flagged = decisions[FLAGGED].to_numpy().astype(bool)
    return DecidedRows(flagged, coverage.labels(decisions[roles.label]), amount, coverage)


def with_estimates(
    metrics: StrategyMetrics, decisions: pl.DataFrame, roles: Roles, coverage: Coverage
) -> StrategyMetrics:
    """Naive, bounds and estimate of each label metric, when some outcome was unseen or the
    history has a control group (otherwise all three are the metric itself)."""
    counts = metrics.counts
    if not (counts.unlabelled or counts.blocked or coverage.weight is not None):
        return metrics
    ways = strategy_estimates(row_inputs(decisions, roles, coverage), counts)
    return replace(metrics, estimates=ways, notes=[*metrics.notes, *coverage.notes])
