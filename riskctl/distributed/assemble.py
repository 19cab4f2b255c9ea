"""Partition sums combined into the one-machine result: `Counts` and every registry metric,
per-action catch rates, review peaks, the daily series, segments, the rule table, warnings
and the paired comparison, each from the same definitions `evaluate/` uses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from riskctl.evaluate.compare import Comparison, compare
from riskctl.evaluate.intervals import wilson
from riskctl.evaluate.metrics import Roles, StrategyMetrics, costs_of
from riskctl.evaluate.registry import METRICS, Counts
from riskctl.evaluate.rules import rule_stats, warnings_from_sums
from riskctl.evaluate.simulate import Simulation, SimulationRun
from riskctl.model.detector import Detector
from riskctl.strategy.decisions import ACTION, FLAGGED, decision_schema
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Strategy

if TYPE_CHECKING:
    from riskctl.distributed.simulate import Part, PartSpec

DAY = "__day"


def _merge(frames: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    frame = pl.concat(frames)
    values = [c for c in frame.columns if c not in keys]
    return frame.group_by(keys).agg(pl.col(c).sum() for c in values)


def counts_of(g: pl.DataFrame, strategy: Strategy, roles: Roles) -> Counts:
    """`Counts` from rows (and amount) per (day, action, label), as `count_exprs` sums them
    over the rows themselves."""
    bad, good = pl.col(roles.label) == 1, pl.col(roles.label) == 0
    flagged = pl.col(ACTION) != strategy.actions[-1]

    def total(cond: pl.Expr, column: str = "rows") -> Any:
        return g.select(pl.col(column).filter(cond).sum()).item()

    rows = int(g["rows"].sum())
    amounts: dict[str, Any] = {}
    if roles.amount:
        amounts = {
            "bad_amount": float(total(bad, "amount")),
            "bad_amount_caught": float(total(bad & flagged, "amount")),
            "good_amount": float(total(good, "amount")),
            "good_amount_impacted": float(total(good & flagged, "amount")),
        }
    return Counts(
        rows=rows,
        bad=int(total(bad)),
        good=int(total(good)),
        flagged=int(total(flagged)),
        flagged_bad=int(total(bad & flagged)),
        flagged_good=int(total(good & flagged)),
        reviews=int(total(pl.col(ACTION).is_in(strategy.review_actions))),
        days=int(g[DAY].n_unique()) if roles.time and rows else 0,
        **amounts,
    )


def metrics_of(g: pl.DataFrame, strategy: Strategy, roles: Roles, left_out: int) -> StrategyMetrics:
    """`compute_metrics`, from the merged group counts of the matured rows."""
    counts = counts_of(g, strategy, roles)
    rows_by_action = {a: 0 for a in strategy.actions}
    bad_by_action: dict[str, int] = {}
    by_action = g.group_by(ACTION).agg(
        rows=pl.col("rows").sum(), bad=pl.col("rows").filter(pl.col(roles.label) == 1).sum()
    )
    for action, rows, bad in by_action.iter_rows():
        rows_by_action[action] = int(rows)
        bad_by_action[action] = int(bad)
    peak = None
    if roles.time is not None and counts.rows and strategy.review_actions:
        per_day = g.group_by(DAY).agg(
            pl.col("rows").filter(pl.col(ACTION).is_in(strategy.review_actions)).sum()
        )
        peak = float(per_day["rows"].max() or 0)  # type: ignore[arg-type]
    costs = costs_of(strategy)
    return StrategyMetrics(
        counts=counts,
        values={m.key: m.measure(counts, costs) for m in METRICS},
        catch_rate_by_action={
            a: wilson(bad_by_action.get(a, 0), int(counts.bad)) for a in strategy.actions[:-1]
        },
        rows_by_action=rows_by_action,
        review_per_day_peak=peak,
        review_capacity_per_day=strategy.review_capacity_per_day,
        left_out_immature=left_out,
        notes=[]
        if roles.amount
        else ["no amount column: each missed bad row costs 1 in expected_cost"],
    )


def daily_of(g: pl.DataFrame, strategy: Strategy, roles: Roles) -> pl.DataFrame:
    """`daily_metrics`, from the merged group counts."""
    if roles.time is None:
        return pl.DataFrame()
    bad = pl.col(roles.label) == 1
    flagged = pl.col(ACTION) != strategy.actions[-1]
    n = pl.col("rows")
    return (
        g.group_by(pl.col(DAY).alias("day"))
        .agg(
            rows=n.sum(),
            bad=n.filter(bad).sum(),
            flagged=n.filter(flagged).sum(),
            flagged_bad=n.filter(bad & flagged).sum(),
            flagged_good=n.filter(~bad & flagged).sum(),
            reviews=n.filter(pl.col(ACTION).is_in(strategy.review_actions)).sum(),
        )
        .with_columns(pl.exclude("day").cast(pl.UInt32))
        .sort("day")
        .with_columns(
            catch_rate=pl.col("flagged_bad") / pl.col("bad"),
            false_positive_rate=pl.col("flagged_good") / (pl.col("rows") - pl.col("bad")),
            over_capacity=(pl.col("reviews") > strategy.review_capacity_per_day)
            if strategy.review_capacity_per_day is not None
            else pl.lit(None, dtype=pl.Boolean),
        )
    )


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            out[key] = out.get(key, 0) + (value or 0)
    return out


def simulation_of(
    loaded: LoadedStrategy, parts: list[Any], roles: Roles, by: list[str]
) -> Simulation:
    """One strategy's `Simulation` from its partition sums (no per-row decisions: those
    are written partitioned on the cluster)."""
    strategy = loaded.strategy
    keys = [DAY, ACTION, roles.label]
    g = _merge([p.groups for p in parts], keys)
    groups: dict[str, dict[str, StrategyMetrics]] = {}
    for column in by:
        merged = _merge([p.by[column] for p in parts], ["value", *keys])
        groups[column] = {
            value: metrics_of(merged.filter(pl.col("value") == value), strategy, roles, 0)
            for value in sorted(merged["value"].unique().to_list())
        }
    schema = decision_schema(strategy)
    rules = (
        rule_stats(_sum_rows([p.rules for p in parts]), schema, roles.amount)
        if schema.rules
        else []
    )
    checks = _sum_rows([p.warnings for p in parts])
    return Simulation(
        loaded,
        pl.DataFrame(),
        schema,
        metrics_of(g, strategy, roles, sum(p.left_out for p in parts)),
        rules,
        warnings_from_sums(checks, loaded) if checks else [],
        groups,
        daily_of(g, strategy, roles),
    )


def _comparison(parts: list[Part], roles: Roles, base: Simulation, cand: Simulation) -> Comparison:
    pairs = pl.concat([p.pairs for p in parts if p.pairs is not None])
    base_flags = pl.concat([p.strategies[1].flagged for p in parts])
    cand_flags = pl.concat([p.strategies[0].flagged for p in parts])
    base_frame = pairs.with_columns(base_flags.alias(FLAGGED))
    cand_frame = pl.DataFrame({FLAGGED: cand_flags})
    keep = pl.Series(values=[True] * pairs.height, dtype=pl.Boolean)
    return compare(base_frame, cand_frame, keep, roles, base.metrics, cand.metrics)


def combine_run(
    data: Path, digest: str, spec: PartSpec, parts: list[Part], detectors: dict[str, Detector]
) -> SimulationRun:
    """The `SimulationRun` of the whole dataset (its `table` and `decisions` stay empty)."""
    sims = [
        simulation_of(ls, [p.strategies[i] for p in parts], spec.roles, spec.by)
        for i, ls in enumerate(spec.loaded)
    ]
    cand = sims[0]
    base = sims[1] if len(sims) > 1 else None
    comparison = _comparison(parts, spec.roles, base, cand) if base is not None else None
    return SimulationRun(
        data,
        digest,
        spec.roles,
        pl.DataFrame(),
        cand,
        base,
        comparison,
        detectors,
        pl.Series(dtype=pl.Boolean),
        [],
    )
