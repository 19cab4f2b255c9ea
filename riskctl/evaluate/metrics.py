"""Strategy metrics exactly as DESIGN.md defines them, on rows whose label has matured.

One polars aggregation gives the `Counts`; the registry turns them into every metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from riskctl.evaluate.intervals import Proportion, wilson
from riskctl.evaluate.registry import METRICS, Costs, Counts
from riskctl.strategy.decisions import ACTION, FLAGGED
from riskctl.strategy.schema import Strategy

METRIC_NAMES = [m.key for m in METRICS]


@dataclass(frozen=True)
class Roles:
    """Which columns of the evaluated table hold the label, time and amount."""

    label: str
    time: str | None = None
    amount: str | None = None


@dataclass(frozen=True)
class StrategyMetrics:
    """Counts and every registry metric of one strategy's decisions (`m.catch_rate`,
    `m["expected_cost"]`), plus per-action breakdowns."""

    counts: Counts
    values: dict[str, Proportion | float | None]
    catch_rate_by_action: dict[str, Proportion]
    rows_by_action: dict[str, int]
    review_per_day_peak: float | None
    review_capacity_per_day: float | None
    left_out_immature: int
    notes: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("counts", "values"):
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
        out["notes"] = list(self.notes)
        return out


def matured(df: pl.DataFrame, roles: Roles, maturity_days: float) -> pl.Series:
    """True for rows old enough (vs the newest row) for their label to count."""
    if maturity_days <= 0 or roles.time is None:
        return pl.Series(values=[True] * df.height, dtype=pl.Boolean)
    cutoff_value = df.select(
        pl.col(roles.time).max() - pl.duration(microseconds=int(maturity_days * 86_400_000_000))
    ).item()
    return df[roles.time] <= cutoff_value


def kept(df: pl.DataFrame, keep: pl.Series) -> pl.DataFrame:
    """The matured rows; the frame itself when all are (no copy of millions of rows)."""
    return df if keep.all() else df.filter(keep)


def costs_of(strategy: Strategy) -> Costs:
    return Costs(strategy.costs.false_positive, strategy.costs.review)


def count_exprs(roles: Roles, reviews: list[str]) -> list[pl.Expr]:
    """The aggregation that gives `Counts`, as polars expressions over a decisions frame."""
    bad = pl.col(roles.label) == 1
    good = pl.col(roles.label) == 0
    flagged = pl.col(FLAGGED)
    exprs = [
        pl.len().alias("rows"),
        bad.sum().alias("bad"),
        good.sum().alias("good"),
        flagged.sum().alias("flagged"),
        (bad & flagged).sum().alias("flagged_bad"),
        (good & flagged).sum().alias("flagged_good"),
        pl.col(ACTION).is_in(reviews).sum().alias("reviews"),
        (
            pl.col(roles.time).dt.date().n_unique() if roles.time else pl.lit(0, dtype=pl.UInt32)
        ).alias("days"),
    ]
    if roles.amount:
        amount = pl.col(roles.amount).cast(pl.Float64).fill_null(0.0)
        exprs += [
            amount.filter(bad).sum().alias("bad_amount"),
            amount.filter(bad & flagged).sum().alias("bad_amount_caught"),
            amount.filter(good).sum().alias("good_amount"),
            amount.filter(good & flagged).sum().alias("good_amount_impacted"),
        ]
    return exprs


def compute_metrics(
    decisions: pl.DataFrame, strategy: Strategy, roles: Roles, keep: pl.Series | None = None
) -> StrategyMetrics:
    """Metrics of one strategy's decisions; `decisions` holds label, flagged, action.

    `keep` marks the rows whose label has matured; by default it is worked out here.
    """
    if keep is None:
        keep = matured(decisions, roles, strategy.label_maturity_days)
    left_out = int((~keep).sum())
    df = kept(decisions, keep)
    counts = Counts(**df.select(count_exprs(roles, strategy.review_actions)).row(0, named=True))
    if df.height == 0:
        counts = Counts(**{**counts.to_dict(), "days": 0})
    rows_by_action = {a: 0 for a in strategy.actions}
    bad_by_action: dict[str, int] = {}
    by_action = df.group_by(ACTION).agg(rows=pl.len(), bad=(pl.col(roles.label) == 1).sum())
    for action, rows, bad in by_action.iter_rows():
        rows_by_action[action] = int(rows)
        bad_by_action[action] = int(bad)
    catch_by_action = {
        a: wilson(bad_by_action.get(a, 0), int(counts.bad)) for a in strategy.actions[:-1]
    }
    notes = []
    if not roles.amount:
        notes.append("no amount column: each missed bad row costs 1 in expected_cost")
    costs = costs_of(strategy)
    return StrategyMetrics(
        counts=counts,
        values={m.key: m.measure(counts, costs) for m in METRICS},
        catch_rate_by_action=catch_by_action,
        rows_by_action=rows_by_action,
        review_per_day_peak=_review_peak(df, strategy, roles),
        review_capacity_per_day=strategy.review_capacity_per_day,
        left_out_immature=left_out,
        notes=notes,
    )


def _review_peak(df: pl.DataFrame, strategy: Strategy, roles: Roles) -> float | None:
    """The most rows sent to review on one calendar day."""
    if roles.time is None or df.height == 0 or not strategy.review_actions:
        return None
    per_day = df.group_by(pl.col(roles.time).dt.date()).agg(
        pl.col(ACTION).is_in(strategy.review_actions).sum().alias("reviews")
    )
    return float(per_day["reviews"].max() or 0)  # type: ignore[arg-type]


def daily_metrics(decisions: pl.DataFrame, strategy: Strategy, roles: Roles) -> pl.DataFrame:
    """One row per calendar day: rows, bad, flagged, catch rate, FPR, reviews vs capacity."""
    if roles.time is None:
        return pl.DataFrame()
    bad, flagged = pl.col(roles.label) == 1, pl.col(FLAGGED)
    return (
        decisions.group_by(pl.col(roles.time).dt.date().alias("day"))
        .agg(
            rows=pl.len(),
            bad=bad.sum(),
            flagged=flagged.sum(),
            flagged_bad=(bad & flagged).sum(),
            flagged_good=(~bad & flagged).sum(),
            reviews=pl.col(ACTION).is_in(strategy.review_actions).sum(),
        )
        .sort("day")
        .with_columns(
            catch_rate=pl.col("flagged_bad") / pl.col("bad"),
            false_positive_rate=pl.col("flagged_good") / (pl.col("rows") - pl.col("bad")),
            over_capacity=(pl.col("reviews") > strategy.review_capacity_per_day)
            if strategy.review_capacity_per_day is not None
            else pl.lit(None, dtype=pl.Boolean),
        )
    )
