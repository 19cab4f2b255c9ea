"""Strategy metrics exactly as DESIGN.md defines them, on rows whose label has matured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from riskctl.evaluate.intervals import Proportion, wilson
from riskctl.strategy.engine import ACTION, FLAGGED
from riskctl.strategy.schema import Strategy

METRIC_NAMES = ["catch_rate", "false_positive_rate", "precision", "alert_rate"]


@dataclass(frozen=True)
class Roles:
    """Which columns of the evaluated table hold the label, time and amount."""

    label: str
    time: str | None = None
    amount: str | None = None


@dataclass(frozen=True)
class StrategyMetrics:
    rows: int
    bad: int
    good: int
    flagged: int
    flagged_bad: int
    flagged_good: int
    catch_rate: Proportion
    false_positive_rate: Proportion
    precision: Proportion
    alert_rate: Proportion
    catch_rate_by_action: dict[str, Proportion]
    rows_by_action: dict[str, int]
    bad_amount: float | None
    bad_amount_caught: float | None
    good_amount: float | None
    good_amount_impacted: float | None
    amount_catch_rate: float | None
    good_amount_impacted_rate: float | None
    days: int
    review_per_day: float | None
    review_per_day_peak: float | None
    review_capacity_per_day: float | None
    expected_cost: float
    left_out_immature: int
    notes: list[str] = field(default_factory=list)

    def value(self, name: str) -> float | None:
        attr = getattr(self, name)
        return attr.value if isinstance(attr, Proportion) else attr

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, val in self.__dict__.items():
            if isinstance(val, Proportion):
                out[key] = val.value
                out[f"{key}_interval"] = [val.low, val.high]
            elif isinstance(val, dict):
                out[key] = {
                    k: (v.value if isinstance(v, Proportion) else v) for k, v in val.items()
                }
            else:
                out[key] = val
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
    bad = pl.col(roles.label) == 1
    good = pl.col(roles.label) == 0
    flagged = pl.col(FLAGGED)
    amount = pl.col(roles.amount).cast(pl.Float64) if roles.amount else pl.lit(None)
    agg = df.select(
        rows=pl.len(),
        bad=bad.sum(),
        good=good.sum(),
        flagged=flagged.sum(),
        flagged_bad=(bad & flagged).sum(),
        flagged_good=(good & flagged).sum(),
        bad_amount=amount.filter(bad).sum(),
        bad_amount_caught=amount.filter(bad & flagged).sum(),
        good_amount=amount.filter(good).sum(),
        good_amount_impacted=amount.filter(good & flagged).sum(),
    ).row(0, named=True)
    n, n_bad, n_good = agg["rows"], agg["bad"], agg["good"]
    by_action = df.group_by(ACTION).agg(rows=pl.len(), bad=bad.sum())
    rows_by_action = {a: 0 for a in strategy.actions}
    catch_by_action = {}
    for row in by_action.iter_rows(named=True):
        rows_by_action[row[ACTION]] = int(row["rows"])
    for row in by_action.iter_rows(named=True):
        if row[ACTION] != strategy.pass_action:
            catch_by_action[row[ACTION]] = wilson(int(row["bad"]), n_bad)
    for action in strategy.actions[:-1]:
        catch_by_action.setdefault(action, wilson(0, n_bad))
    notes: list[str] = []
    days, review_mean, review_peak = _review_load(df, strategy, roles)
    if roles.amount:
        missed = (agg["bad_amount"] or 0.0) - (agg["bad_amount_caught"] or 0.0)
    else:
        missed = float(n_bad - agg["flagged_bad"])
        notes.append("no amount column: each missed bad row costs 1 in expected_cost")
    reviews = rows_by_action.get("review", 0)
    cost = (
        missed
        + strategy.costs.false_positive * agg["flagged_good"]
        + strategy.costs.review * reviews
    )
    has_amount = roles.amount is not None
    return StrategyMetrics(
        rows=n,
        bad=n_bad,
        good=n_good,
        flagged=agg["flagged"],
        flagged_bad=agg["flagged_bad"],
        flagged_good=agg["flagged_good"],
        catch_rate=wilson(agg["flagged_bad"], n_bad),
        false_positive_rate=wilson(agg["flagged_good"], n_good),
        precision=wilson(agg["flagged_bad"], agg["flagged"]),
        alert_rate=wilson(agg["flagged"], n),
        catch_rate_by_action=catch_by_action,
        rows_by_action=rows_by_action,
        bad_amount=agg["bad_amount"] if has_amount else None,
        bad_amount_caught=agg["bad_amount_caught"] if has_amount else None,
        good_amount=agg["good_amount"] if has_amount else None,
        good_amount_impacted=agg["good_amount_impacted"] if has_amount else None,
        amount_catch_rate=_share(agg["bad_amount_caught"], agg["bad_amount"], has_amount),
        good_amount_impacted_rate=_share(
            agg["good_amount_impacted"], agg["good_amount"], has_amount
        ),
        days=days,
        review_per_day=review_mean,
        review_per_day_peak=review_peak,
        review_capacity_per_day=strategy.review_capacity_per_day,
        expected_cost=float(cost),
        left_out_immature=left_out,
        notes=notes,
    )


def _share(part: float | None, whole: float | None, present: bool) -> float | None:
    if not present or not whole:
        return None
    return float((part or 0.0) / whole)


def _review_load(
    df: pl.DataFrame, strategy: Strategy, roles: Roles
) -> tuple[int, float | None, float | None]:
    """Days covered, and mean and peak rows sent to review per calendar day."""
    if roles.time is None or df.height == 0:
        return 0, None, None
    review = strategy.review_action
    per_day = df.group_by(pl.col(roles.time).dt.date().alias("day")).agg(
        reviews=(pl.col(ACTION) == review).sum() if review else pl.lit(0)
    )
    days = per_day.height
    if review is None:
        return days, None, None
    reviews = per_day["reviews"].cast(pl.Float64)
    return days, float(reviews.sum()) / days, float(reviews.max() or 0.0)  # type: ignore[arg-type]


def daily_metrics(decisions: pl.DataFrame, strategy: Strategy, roles: Roles) -> pl.DataFrame:
    """One row per calendar day: rows, bad, flagged, catch rate, FPR, reviews vs capacity."""
    if roles.time is None:
        return pl.DataFrame()
    bad, flagged = pl.col(roles.label) == 1, pl.col(FLAGGED)
    review = strategy.review_action
    return (
        decisions.group_by(pl.col(roles.time).dt.date().alias("day"))
        .agg(
            rows=pl.len(),
            bad=bad.sum(),
            flagged=flagged.sum(),
            flagged_bad=(bad & flagged).sum(),
            flagged_good=(~bad & flagged).sum(),
            reviews=(pl.col(ACTION) == review).sum() if review else pl.lit(0, dtype=pl.UInt32),
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
