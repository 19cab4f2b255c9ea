"""Strategy metrics exactly as DESIGN.md defines them.

One polars aggregation gives the `Counts`; the registry turns them into every metric. Every
row counts in alert rate and review load; label metrics count only rows whose label is usable
(present and matured), and say how many rows had none and why (`evaluate/coverage.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from riskctl.evaluate.coverage import WHY, Coverage, label_coverage
from riskctl.evaluate.estimates import Rows, ThreeWays, strategy_estimates
from riskctl.evaluate.intervals import Proportion, wilson
from riskctl.evaluate.registry import METRICS, Costs, Counts
from riskctl.strategy.decisions import ACTION, FLAGGED
from riskctl.strategy.schema import History, Strategy

USABLE = "__usable"

METRIC_NAMES = [m.key for m in METRICS]


@dataclass(frozen=True)
class Roles:
    """Which columns of the evaluated table hold the label, time and amount."""

    label: str
    time: str | None = None
    amount: str | None = None
    history: History | None = None  # how production chose which rows got an outcome


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
    left_out_immature: int  # rows whose label has not matured (in alert rate, not labels)
    notes: list[str] = field(default_factory=list)
    estimates: dict[str, ThreeWays] = field(default_factory=dict)  # naive, bounds, estimate

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
    """True for rows old enough (vs the newest row) for their label to count."""
    if maturity_days <= 0 or roles.time is None:
        return pl.Series(values=[True] * df.height, dtype=pl.Boolean)
    cutoff_value = df.select(
        pl.col(roles.time).max() - pl.duration(microseconds=int(maturity_days * 86_400_000_000))
    ).item()
    return df[roles.time] <= cutoff_value


def costs_of(strategy: Strategy) -> Costs:
    return Costs(strategy.costs.false_positive, strategy.costs.review)


def count_exprs(roles: Roles, reviews: list[str]) -> list[pl.Expr]:
    """The aggregation that gives `Counts`, as polars expressions over a decisions frame
    whose `USABLE` column marks the rows with a usable label."""
    usable = pl.col(USABLE)
    bad = ((pl.col(roles.label) == 1) & usable).fill_null(False)
    good = ((pl.col(roles.label) == 0) & usable).fill_null(False)
    flagged = pl.col(FLAGGED)
    exprs = [
        pl.len().alias("rows"),
        bad.sum().alias("bad"),
        good.sum().alias("good"),
        flagged.sum().alias("flagged"),
        (bad & flagged).sum().alias("flagged_bad"),
        (good & flagged).sum().alias("flagged_good"),
        ((bad | good) & flagged).sum().alias("flagged_labelled"),
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
    decisions: pl.DataFrame,
    strategy: Strategy,
    roles: Roles,
    keep: pl.Series | None = None,
    coverage: Coverage | None = None,
) -> StrategyMetrics:
    """Metrics of one strategy's decisions; `decisions` holds label, flagged, action (and the
    history columns `roles.history` names).

    `keep` marks the rows whose label has matured and `coverage` each row's label status;
    by default both are worked out here.
    """
    if coverage is None:
        if keep is None:
            keep = matured(decisions, roles, strategy.label_maturity_days)
        coverage = label_coverage(decisions, roles.label, keep, roles.history)
    df = decisions.with_columns(pl.Series(USABLE, coverage.usable, dtype=pl.Boolean))
    why = coverage.counts()
    raw = df.select(count_exprs(roles, strategy.review_actions)).row(0, named=True)
    raw.update({k: why[k] for k in ("unlabelled", "immature", "blocked")})
    if df.height == 0:
        raw["days"] = 0
    counts = Counts(**raw)
    rows_by_action = {a: 0 for a in strategy.actions}
    bad_by_action: dict[str, int] = {}
    is_bad = ((pl.col(roles.label) == 1) & pl.col(USABLE)).fill_null(False)
    by_action = df.group_by(ACTION).agg(rows=pl.len(), bad=is_bad.sum())
    for action, rows, bad in by_action.iter_rows():
        rows_by_action[action] = int(rows)
        bad_by_action[action] = int(bad)
    catch_by_action = {
        a: wilson(bad_by_action.get(a, 0), int(counts.bad)) for a in strategy.actions[:-1]
    }
    costs = costs_of(strategy)
    return StrategyMetrics(
        counts=counts,
        values={m.key: m.measure(counts, costs) for m in METRICS},
        catch_rate_by_action=catch_by_action,
        rows_by_action=rows_by_action,
        review_per_day_peak=_review_peak(df, strategy, roles),
        review_capacity_per_day=strategy.review_capacity_per_day,
        left_out_immature=int(counts.immature),
        notes=_notes(roles, counts, coverage),
        estimates=_estimates(decisions, roles, counts, coverage),
    )


def _notes(roles: Roles, counts: Counts, coverage: Coverage) -> list[str]:
    notes = []
    if not roles.amount:
        notes.append("no amount column: each missed bad row costs 1 in expected_cost")
    if counts.no_label:
        notes.append(no_label_text(counts) + ": counted in alert rate and review load only")
    return notes + list(coverage.notes)


def no_label_text(counts: Counts) -> str:
    """`1,204 rows with no usable label (1,000 blocked by production, 204 immature)`."""
    parts = [
        f"{int(getattr(counts, k)):,} {WHY[k]}"
        for k in ("blocked", "immature", "unlabelled")
        if getattr(counts, k)
    ]
    total = int(counts.no_label)
    return f"{total:,} row{'s' if total != 1 else ''} with no usable label ({', '.join(parts)})"


def row_inputs(decisions: pl.DataFrame, roles: Roles, coverage: Coverage) -> Rows:
    amount = (
        decisions[roles.amount].cast(pl.Float64).fill_null(0.0).to_numpy() if roles.amount else None
    )
    flagged = decisions[FLAGGED].to_numpy().astype(bool)
    return Rows(flagged, coverage.labels(decisions[roles.label]), amount, coverage)


def _estimates(
    decisions: pl.DataFrame, roles: Roles, counts: Counts, coverage: Coverage
) -> dict[str, ThreeWays]:
    """Naive, bounds and estimate of each label metric, when some outcome was unseen or the
    history has a control group (otherwise all three are the metric itself)."""
    if not (counts.unlabelled or counts.blocked or coverage.weight is not None):
        return {}
    return strategy_estimates(row_inputs(decisions, roles, coverage), counts)


def _review_peak(df: pl.DataFrame, strategy: Strategy, roles: Roles) -> float | None:
    """The most rows sent to review on one calendar day."""
    if roles.time is None or df.height == 0 or not strategy.review_actions:
        return None
    per_day = df.group_by(pl.col(roles.time).dt.date()).agg(
        pl.col(ACTION).is_in(strategy.review_actions).sum().alias("reviews")
    )
    return float(per_day["reviews"].max() or 0)  # type: ignore[arg-type]


def daily_metrics(
    decisions: pl.DataFrame, strategy: Strategy, roles: Roles, usable: np.ndarray | None = None
) -> pl.DataFrame:
    """One row per calendar day: rows, bad, flagged, catch rate, FPR, reviews vs capacity
    (label counts over the rows with a usable label, `usable`; default: every labelled row)."""
    if roles.time is None:
        return pl.DataFrame()
    ok = pl.col(USABLE) if usable is not None else pl.col(roles.label).is_not_null()
    frame = decisions.with_columns(pl.Series(USABLE, usable)) if usable is not None else decisions
    bad = ((pl.col(roles.label) == 1) & ok).fill_null(False)
    good = ((pl.col(roles.label) == 0) & ok).fill_null(False)
    flagged = pl.col(FLAGGED)
    return (
        frame.group_by(pl.col(roles.time).dt.date().alias("day"))
        .agg(
            rows=pl.len(),
            bad=bad.sum(),
            good=good.sum(),
            flagged=flagged.sum(),
            flagged_bad=(bad & flagged).sum(),
            flagged_good=(good & flagged).sum(),
            reviews=pl.col(ACTION).is_in(strategy.review_actions).sum(),
        )
        .sort("day")
        .with_columns(
            catch_rate=pl.col("flagged_bad") / pl.col("bad"),
            false_positive_rate=pl.col("flagged_good") / pl.col("good"),
            over_capacity=(pl.col("reviews") > strategy.review_capacity_per_day)
            if strategy.review_capacity_per_day is not None
            else pl.lit(None, dtype=pl.Boolean),
        )
    )
