"""The tables every output shows, as rows of text: headline metrics, the swap set, the
rule table, per-segment metrics. The terminal, Markdown, JUnit and the HTML report all
render these rows, so each table is built once and reads the same everywhere."""

from __future__ import annotations

import math
from dataclasses import dataclass

from riskctl.metrics.intervals import Difference, Proportion
from riskctl.metrics.registry import METRICS, Metric, metric
from riskctl.numbers import (
    fmt_count,
    fmt_int,
    fmt_interval,
    fmt_money,
    fmt_percent,
    fmt_points_interval,
)
from riskctl.outcomes.estimates import ThreeWays
from riskctl.simulation.compare import Comparison
from riskctl.simulation.rules import RuleStats
from riskctl.simulation.simulate import SimulationRun
from riskctl.simulation.strategy_metrics import StrategyMetrics


def metric_text(m: Metric, value: Proportion | float | None, digits: int = 2) -> str:
    """A strategy's value of a metric, with its interval where it carries one."""
    if isinstance(value, Proportion):
        return fmt_interval(value.value, value.low, value.high, digits)
    return m.fmt(value, digits)


def change_text(m: Metric, d: Difference | None, digits: int = 2, compact: bool = False) -> str:
    if d is None:
        return ""
    if m.is_share:
        return fmt_points_interval(d.value, d.low, d.high, digits, compact)
    return fmt_count(d.value, signed=True)


def verdict(m: Metric, d: Difference | None) -> str:
    """better / worse / neutral: coloured only when the interval excludes no change (noise
    is not "better")."""
    if d is None or m.better is None or d.value == 0 or math.isnan(d.value):
        return "neutral"
    if not math.isnan(d.low) and d.low <= 0 <= d.high:
        return "neutral"
    return "better" if (d.value > 0) == (m.better == "higher") else "worse"


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    baseline: str | None
    candidate: str
    delta: str | None
    verdict: str  # "better", "worse" or "neutral"


def metric_rows(run: SimulationRun, digits: int = 2, compact: bool = False) -> list[MetricRow]:
    """The headline metrics as text; `digits` after the point for percentages."""
    cand = run.candidate.metrics
    base = run.baseline.metrics if run.baseline else None
    rows = []
    for m in METRICS:
        delta = run.comparison.delta.get(m.key) if run.comparison else None
        rows.append(
            MetricRow(
                m.key,
                m.label,
                metric_text(m, base[m.key], digits) if base else None,
                metric_text(m, cand[m.key], digits),
                change_text(m, delta, digits, compact) if run.comparison else None,
                verdict(m, delta),
            )
        )
    return rows


@dataclass(frozen=True)
class SwapRow:
    kind: str
    bad_rows: str
    good_rows: str
    bad_amount: str
    good_amount: str
    unknown_rows: str = "0"  # rows whose outcome was never seen
    unknown_amount: str = ""


def swap_rows(comparison: Comparison | None) -> list[SwapRow]:
    """What a change really does: rows it newly flags (swap-in), newly lets through
    (swap-out), and flags either way."""
    if comparison is None:
        return []
    rows = []
    for kind in ("swap-in", "swap-out", "both flag"):
        bad, good = comparison.cell(kind, 1), comparison.cell(kind, 0)
        unknown = comparison.cell(kind, None)
        rows.append(
            SwapRow(
                kind,
                fmt_int(bad.rows),
                fmt_int(good.rows),
                fmt_money(bad.amount),
                fmt_money(good.amount),
                fmt_int(unknown.rows),
                fmt_money(unknown.amount),
            )
        )
    return rows


@dataclass(frozen=True)
class RuleRow:
    name: str
    action: str
    shadow: bool
    hits: str
    bad_hits: str
    precision: str
    incremental_bad: str
    overlap: str


def rule_rows(rules: list[RuleStats]) -> list[RuleRow]:
    rows = []
    for r in rules:
        top = max(r.overlap.items(), key=lambda kv: kv[1], default=None)
        rows.append(
            RuleRow(
                r.name,
                r.action,
                r.mode == "shadow",
                fmt_int(r.hits),
                fmt_int(r.bad_hits),
                fmt_percent(r.precision.value, 1) if r.hits else "n/a",
                fmt_int(r.incremental_bad),
                f"{top[0]} ({top[1]:,})" if top else "",
            )
        )
    return rows


@dataclass(frozen=True)
class SegmentRow:
    value: str
    rows: int
    bad: int
    catch_rate: str
    false_positive_rate: str
    precision: str
    catch_rate_value: float
    fpr_value: float


def segment_rows(groups: dict[str, StrategyMetrics], digits: int = 1) -> list[SegmentRow]:
    return [
        SegmentRow(
            value,
            int(m.rows),
            int(m.bad),
            fmt_interval(m.catch_rate.value, m.catch_rate.low, m.catch_rate.high, digits),
            fmt_interval(
                m.false_positive_rate.value,
                m.false_positive_rate.low,
                m.false_positive_rate.high,
                digits,
            ),
            fmt_interval(m.precision.value, m.precision.low, m.precision.high, digits),
            m.catch_rate.value,
            m.false_positive_rate.value,
        )
        for value, m in groups.items()
    ]


@dataclass(frozen=True)
class EstimateRow:
    """One label metric (or its change) three ways, as text."""

    key: str
    label: str
    scope: str  # "candidate", "baseline" or "change"
    naive: str
    bounds: str
    estimate: str


def _three(m: Metric, ways: ThreeWays, change: bool, digits: int) -> tuple[str, str, str]:
    if change:
        naive = change_text(m, ways.naive, digits, compact=True)
        bounds = f"{m.fmt_change(ways.low, digits)} to {m.fmt_change(ways.high, digits)}"
        est = "not estimable"
        if ways.estimate is not None:
            est = change_text(m, ways.estimate, digits, compact=True)
        return naive, bounds, est
    n = ways.naive
    naive = fmt_interval(n.value, n.low, n.high, digits) if m.is_share else m.fmt(n.value)
    bounds = f"{m.fmt(ways.low, digits)} to {m.fmt(ways.high, digits)}"
    est = "not estimable"
    if ways.estimate is not None:
        e = ways.estimate
        est = fmt_interval(e.value, e.low, e.high, digits)
    return naive, bounds, est


def estimate_rows(run: SimulationRun, digits: int = 2) -> list[EstimateRow]:
    """Each label metric naive, bounds and estimate: candidate, baseline and the change."""
    sides = [("candidate", run.candidate.metrics.estimates, False)]
    if run.baseline is not None:
        sides.append(("baseline", run.baseline.metrics.estimates, False))
    if run.comparison is not None:
        sides.append(("change", run.comparison.estimates, True))
    rows = []
    for scope, ways_by_key, change in sides:
        for key, ways in ways_by_key.items():
            m = metric(key)
            rows.append(EstimateRow(key, m.label, scope, *_three(m, ways, change, digits)))
    return rows
