"""How metrics read as text, the same in the terminal, in reports and in CI summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass

from riskctl.evaluate.intervals import Difference, Proportion
from riskctl.evaluate.metrics import StrategyMetrics
from riskctl.evaluate.simulate import SimulationRun

# metric -> (label, higher is better)
HEADLINE = [
    ("catch_rate", "Catch rate", True),
    ("false_positive_rate", "False-positive rate", False),
    ("precision", "Precision", True),
    ("alert_rate", "Alert rate", None),
    ("review_per_day", "Review load per day", False),
    ("amount_catch_rate", "Bad amount caught", True),
    ("good_amount_impacted_rate", "Good amount hit", False),
    ("expected_cost", "Expected cost", False),
]


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    baseline: str | None
    candidate: str
    delta: str | None
    verdict: str  # "better", "worse" or "neutral"


def fmt_value(key: str, value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if key in ("review_per_day", "expected_cost"):
        return f"{value:,.1f}"
    return f"{100 * value:.{_digits(value, digits)}f}%"


def _digits(value: float, digits: int) -> int:
    """One more digit below 10%: small rates (false positives) need it to be read at all."""
    return digits if abs(value) >= 0.1 else digits + 1


def fmt_proportion(p: Proportion, digits: int = 2) -> str:
    if math.isnan(p.value):
        return "n/a"
    d = _digits(p.value, digits)
    return f"{100 * p.value:.{d}f}% ({100 * p.low:.{d}f}–{100 * p.high:.{d}f})"


def fmt_delta(key: str, d: Difference | None, digits: int = 2, compact: bool = False) -> str | None:
    """`compact` writes a symmetric interval as ±half-width, to fit an 80-column table."""
    if d is None:
        return None
    if math.isnan(d.value):
        return "n/a"  # not defined on this data (no bad rows, say): never "+nan pp"
    if key in ("review_per_day", "expected_cost"):
        return f"{d.value:+,.1f}"
    n = _digits(d.value, digits)
    text = f"{100 * d.value:+.{n}f} pp"
    if math.isnan(d.low):
        return text
    half = (d.high - d.low) / 2
    if compact and math.isclose(d.value - d.low, half, rel_tol=1e-6, abs_tol=1e-12):
        return f"{text} ±{100 * half:.{n}f}"
    if compact:
        return f"{text} [{100 * d.low:.1f}, {100 * d.high:.1f}]"
    text += f" ({100 * d.low:+.{n}f}..{100 * d.high:+.{n}f})"
    return text


def _metric_text(m: StrategyMetrics, key: str, digits: int) -> str:
    attr = getattr(m, key)
    return (
        fmt_proportion(attr, digits)
        if isinstance(attr, Proportion)
        else fmt_value(key, attr, digits)
    )


def metric_rows(run: SimulationRun, digits: int = 2, compact: bool = False) -> list[MetricRow]:
    """The headline metrics as text; `digits` after the point for percentages."""
    rows = []
    for key, label, higher_better in HEADLINE:
        cand = run.candidate.metrics
        base = run.baseline.metrics if run.baseline else None
        delta = run.comparison.delta.get(key) if run.comparison else None
        verdict = "neutral"
        # coloured only when the interval excludes no change: noise is not "better"
        within_noise = (
            delta is not None and not math.isnan(delta.low) and delta.low <= 0 <= delta.high
        )
        if (
            delta is not None
            and higher_better is not None
            and delta.value != 0
            and not within_noise
        ):
            verdict = "better" if (delta.value > 0) == higher_better else "worse"
        rows.append(
            MetricRow(
                key,
                label,
                _metric_text(base, key, digits) if base else None,
                _metric_text(cand, key, digits),
                fmt_delta(key, delta, digits, compact),
                verdict,
            )
        )
    return rows
