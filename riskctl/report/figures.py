"""The strategy report's charts, from the run: trade-off curves with the strategies'
operating points, score distributions, segments, SHAP importance and row-by-row effects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riskctl.escape import for_chart
from riskctl.explain.summary import ExplainSummary
from riskctl.model.ranking import tradeoff_curve
from riskctl.output.tables import SegmentRow
from riskctl.report.charts import (
    beeswarm_chart,
    importance_chart,
    score_distribution_chart,
    segment_chart,
    tradeoff_chart,
)
from riskctl.simulation.simulate import SimulationRun
from riskctl.simulation.strategy_metrics import StrategyMetrics


@dataclass(frozen=True)
class Chart:
    """A report's chart: its spec with every name and value made safe for Vega."""

    id: str
    title: str
    spec: dict[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", for_chart(self.spec))


def _point(name: str, m: StrategyMetrics) -> dict[str, Any]:
    return {
        "strategy": name,
        "catch_rate": m.catch_rate.value,
        "false_positive_rate": m.false_positive_rate.value,
        "precision": m.precision.value,
    }


def _amount_point(name: str, m: StrategyMetrics) -> dict[str, Any]:
    return {
        "strategy": name,
        "amount_catch_rate": m.amount_catch_rate,
        "good_amount_impacted_rate": m.good_amount_impacted_rate,
    }


def _points(run: SimulationRun, point: Any) -> list[dict[str, Any]]:
    sims = [(run.baseline, "baseline")] if run.baseline else []
    sims.append((run.candidate, "candidate"))
    return [point(f"{sim.loaded.name} ({role})", sim.metrics) for sim, role in sims if sim]


def score_charts(run: SimulationRun, log_fpr: bool) -> list[Chart]:
    """The curve and score distributions of the first score column, on the same matured
    rows as the strategies' dots."""
    cand = run.candidate
    score_cols = cand.loaded.strategy.score_columns()
    if not score_cols:
        return []
    score, label = score_cols[0], run.roles.label
    mature = cand.decisions.filter(run.matured)
    curve = tradeoff_curve(mature[score].to_numpy(), mature[label].to_numpy())
    amount_curve, amount_points = None, None
    if run.roles.amount:
        amount_curve = tradeoff_curve(
            mature[score].to_numpy(),
            mature[label].to_numpy(),
            mature[run.roles.amount].fill_null(0.0).to_numpy(),
        )
        amount_points = _points(run, _amount_point)
    max_fpr = cand.loaded.strategy.guardrails.max_false_positive_rate
    return [
        Chart(
            "tradeoff",
            "Trade-off curve (detector score alone; dots: the strategies)",
            tradeoff_chart(
                curve, _points(run, _point), max_fpr, amount_curve, amount_points, log_fpr
            ),
        ),
        Chart(
            "scores",
            "Score distributions",
            score_distribution_chart(mature[score].to_numpy(), mature[label].to_numpy()),
        ),
    ]


def strategy_charts(
    run: SimulationRun,
    summary: ExplainSummary | None,
    segments: dict[str, list[SegmentRow]],
    log_fpr: bool,
) -> list[Chart]:
    charts = score_charts(run, log_fpr)
    for column, rows in segments.items():
        values = [
            {
                "segment": r.value,
                "catch_rate": r.catch_rate_value,
                "false_positive_rate": r.fpr_value,
            }
            for r in rows
        ]
        charts.append(Chart(f"by-{column}", f"By {column}", segment_chart(column, values)))
    if summary is not None and summary.importance:
        charts.append(
            Chart("importance", "Global SHAP importance", importance_chart(summary.importance))
        )
    if summary is not None and summary.dependence:
        charts.append(
            Chart("beeswarm", "Top features, row by row", beeswarm_chart(summary.dependence))
        )
    return charts
