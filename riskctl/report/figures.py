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
    Panel,
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


def _roles(run: SimulationRun) -> list[tuple[Any, str]]:
    sims = [(run.baseline, "baseline")] if run.baseline else []
    sims.append((run.candidate, "candidate"))
    return [(sim, role) for sim, role in sims if sim]


def _points(run: SimulationRun, point: Any) -> list[dict[str, Any]]:
    return [point(f"{sim.loaded.name} ({role})", sim.metrics) for sim, role in _roles(run)]


def strategy_thresholds(run: SimulationRun, score: str) -> list[dict[str, Any]]:
    """Every threshold the strategies set on `score` (segment overrides too), one row
    each: strategy, action, segment, value."""
    out = []
    for sim, role in _roles(run):
        strategy = sim.loaded.strategy
        sets = [(None, strategy.thresholds)] + [(s.name, s.thresholds) for s in strategy.segments]
        for segment, thresholds in sets:
            for action, columns in thresholds.items():
                if score in columns:
                    out.append(
                        {
                            "strategy": f"{sim.loaded.name} ({role})",
                            "action": action if segment is None else f"{action} ({segment})",
                            "threshold": float(columns[score]),
                        }
                    )
    return out


def score_charts(run: SimulationRun, fpr_axis: str = "log") -> list[Chart]:
    """The curve and score distributions of the first score column, on the same matured
    rows as the strategies' dots."""
    cand = run.candidate
    score_cols = cand.loaded.strategy.score_columns()
    if not score_cols:
        return []
    score, label = score_cols[0], run.roles.label
    mature = cand.decisions.filter(run.matured)
    s, y = mature[score].to_numpy(), mature[label].to_numpy()
    rules = strategy_thresholds(run, score)
    values = tuple(r["threshold"] for r in rules)
    panels = [
        Panel(
            tradeoff_curve(s, y),
            _points(run, _point),
            "false_positive_rate",
            "catch_rate",
            "False-positive rate",
            "Catch rate",
            "Rows: catch rate vs false-positive rate",
            values,
        )
    ]
    if run.roles.amount:
        panels.append(
            Panel(
                tradeoff_curve(s, y, mature[run.roles.amount].fill_null(0.0).to_numpy()),
                _points(run, _amount_point),
                "good_amount_impacted_rate",
                "amount_catch_rate",
                "Good amount impacted",
                "Bad amount caught",
                "Money: amount caught vs impacted",
                values,
            )
        )
    max_fpr = cand.loaded.strategy.guardrails.max_false_positive_rate
    return [
        Chart(
            "tradeoff",
            "Trade-off curve (detector score alone; dots: the strategies)",
            tradeoff_chart(panels, max_fpr, fpr_axis),
        ),
        Chart("scores", "Score distributions", score_distribution_chart(s, y, rules)),
    ]


def segment_charts(segments: dict[str, list[SegmentRow]]) -> dict[str, Chart]:
    """Per `--by` column, catch rate and FPR per value (drawn in that column's section)."""
    charts = {}
    for column, rows in segments.items():
        values = [
            {
                "segment": r.value,
                "catch_rate": r.catch_rate_value,
                "false_positive_rate": r.fpr_value,
            }
            for r in rows
        ]
        charts[column] = Chart(f"by-{column}", f"By {column}", segment_chart(column, values))
    return charts


def strategy_charts(
    run: SimulationRun, summary: ExplainSummary | None, fpr_axis: str = "log"
) -> list[Chart]:
    charts = score_charts(run, fpr_axis)
    if summary is not None and summary.importance:
        charts.append(
            Chart("importance", "Global SHAP importance", importance_chart(summary.importance))
        )
    if summary is not None and summary.dependence:
        charts.append(
            Chart("beeswarm", "Top features, row by row", beeswarm_chart(summary.dependence))
        )
    return charts
