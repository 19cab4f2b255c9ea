"""Guardrails: the limits a strategy must meet on labelled history before it ships.

Each check has a stable id and a docstring that says when it fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from riskctl.evaluate.simulate import SimulationRun


@dataclass(frozen=True)
class GuardrailResult:
    id: str
    name: str
    value: float | None
    limit: float
    direction: str  # "max" or "min"
    passed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Guardrail:
    id: str
    key: str  # the key in the strategy's `guardrails:` section
    direction: str
    relative: bool
    measure: Callable[[SimulationRun], float | None]
    doc: str


def _cand(name: str) -> Callable[[SimulationRun], float | None]:
    return lambda run: run.candidate.metrics.value(name)


def _delta(name: str, sign: float) -> Callable[[SimulationRun], float | None]:
    def measure(run: SimulationRun) -> float | None:
        if run.comparison is None:
            return None
        return sign * run.comparison.delta[name].value
    return measure


GUARDRAILS: list[Guardrail] = [
    Guardrail("G001", "max_false_positive_rate", "max", False, _cand("false_positive_rate"),
              "Fires when the candidate flags a larger share of good rows than the limit."),
    Guardrail("G002", "min_catch_rate", "min", False, _cand("catch_rate"),
              "Fires when the candidate catches a smaller share of bad rows than the limit."),
    Guardrail("G003", "min_precision", "min", False, _cand("precision"),
              "Fires when fewer of the candidate's flagged rows are bad than the limit."),
    Guardrail("G004", "max_review_per_day", "max", False, _cand("review_per_day"),
              "Fires when the mean rows sent to review per day exceed the limit."),
    Guardrail("G005", "max_expected_cost", "max", False, _cand("expected_cost"),
              "Fires when the candidate's expected cost exceeds the limit."),
    Guardrail("G101", "max_catch_rate_drop", "max", True, _delta("catch_rate", -1.0),
              "Fires when catch rate falls by more than the limit against the baseline."),
    Guardrail("G102", "max_false_positive_rate_increase", "max", True,
              _delta("false_positive_rate", 1.0),
              "Fires when false-positive rate rises by more than the limit against the "
              "baseline."),
]


def check_guardrails(run: SimulationRun) -> list[GuardrailResult]:
    """Every guardrail the candidate's file sets, checked on point estimates."""
    g = run.candidate.loaded.strategy.guardrails
    results = []
    for rail in GUARDRAILS:
        source = g.relative if rail.relative else g
        limit = getattr(source, rail.key, None) if source is not None else None
        if limit is None:
            continue
        value = rail.measure(run)
        if value is None:
            why = ("needs --baseline" if rail.relative else "no data to measure it (needs a "
                   "time column)")
            results.append(GuardrailResult(rail.id, rail.key, None, limit, rail.direction,
                                           False, f"{rail.key}: cannot be checked, {why}"))
            continue
        passed = value <= limit if rail.direction == "max" else value >= limit
        verdict = "holds" if passed else "fails"
        side = "under" if (rail.direction == "max") == passed else "over"
        by = _fmt(abs(value - limit), rail.key, points=True)
        results.append(GuardrailResult(
            rail.id, rail.key, value, limit, rail.direction, passed,
            f"{rail.key} {verdict}: {_fmt(value, rail.key)} vs {rail.direction} "
            f"{_fmt(limit, rail.key)}, {by} {side}"))
    return results


def _fmt(x: float, key: str, points: bool = False) -> str:
    """Counts and money as numbers; rates as percentages (differences in points)."""
    if "per_day" in key or "cost" in key:
        return f"{x:,.1f}"
    return f"{100 * x:.2f} pp" if points else f"{100 * x:.2f}%"
