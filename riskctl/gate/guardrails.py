"""Guardrails: the limits a strategy must meet on labelled history before it ships.

Each check has a stable id and a docstring that says when it fires. By default a guardrail
on a proportion fails only when its whole 95% interval lies on the wrong side of the limit,
so noise on a small sample does not block a change; `strict` compares point estimates.
Review load and cost have no interval and are always compared as points.

When some outcomes were never seen (null labels, rows production blocked), label guardrails
judge one of three versions of the metric (`labels`): the control-group `estimate` (the
default when the history has a control group), the `naive` value on labelled rows (the
default without one), or the `bounds`, judged at their pessimistic end: the highest value
the unseen outcomes allow against a maximum, the lowest against a minimum.

Whose limits are judged (a baseline's too) and on which run: `riskctl.gate.baseline_limits`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from riskctl.errors import UsageError
from riskctl.metrics.intervals import Difference, Proportion
from riskctl.metrics.registry import metric
from riskctl.outcomes.estimates import BASES, ThreeWays
from riskctl.simulation.simulate import SimulationRun

Measured = tuple[float, float, float] | None  # value, low, high (nan: no interval)


@dataclass(frozen=True)
class GuardrailResult:
    id: str
    name: str
    value: float | None
    limit: float
    direction: str  # "max" or "min"
    passed: bool
    message: str
    low: float | None = None
    high: float | None = None
    basis: str = "point"  # "interval" or "point": what the verdict rests on
    labels: str = "naive"  # which version of a label metric: naive, bounds or estimate
    source: str = "candidate"  # whose limit: candidate, baseline or both (the same limit)
    note: str = ""  # why the limit is not the candidate's own, when it is not

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Guardrail:
    id: str
    key: str  # the key in the strategy's `guardrails:` section
    direction: str
    relative: bool
    measure: Callable[[SimulationRun, str, str], Measured]
    doc: str
    metric: str  # the registry metric it limits (or whose change it limits)


def _cand(name: str) -> Callable[[SimulationRun, str, str], Measured]:
    def measure(run: SimulationRun, labels: str, direction: str) -> Measured:
        ways = run.candidate.metrics.estimates.get(name)
        if ways is not None and labels != "naive":
            return ways.measured(labels, direction)  # type: ignore[arg-type]
        value = getattr(run.candidate.metrics, name)
        if isinstance(value, Proportion):
            return value.value, value.low, value.high
        return None if value is None else (float(value), math.nan, math.nan)

    return measure


def _signed(d: Difference, sign: float) -> Difference:
    ends = sorted((sign * d.low, sign * d.high))
    return Difference(sign * d.value, ends[0], ends[1])


def _delta(name: str, sign: float) -> Callable[[SimulationRun, str, str], Measured]:
    def measure(run: SimulationRun, labels: str, direction: str) -> Measured:
        if run.comparison is None:
            return None
        ways = run.comparison.estimates.get(name)
        if ways is not None and labels != "naive":
            low, high = sorted((sign * ways.low, sign * ways.high))
            est = None if ways.estimate is None else _signed(ways.estimate, sign)
            turned = ThreeWays(_signed(ways.naive, sign), low, high, est)
            return turned.measured(labels, direction)  # type: ignore[arg-type]
        d = run.comparison.delta[name]
        ends = sorted((sign * d.low, sign * d.high))
        return sign * d.value, ends[0], ends[1]

    return measure


GUARDRAILS: list[Guardrail] = [
    Guardrail(
        "G001",
        "max_false_positive_rate",
        "max",
        False,
        _cand("false_positive_rate"),
        "Fires when the candidate flags a larger share of good rows than the limit.",
        "false_positive_rate",
    ),
    Guardrail(
        "G002",
        "min_catch_rate",
        "min",
        False,
        _cand("catch_rate"),
        "Fires when the candidate catches a smaller share of bad rows than the limit.",
        "catch_rate",
    ),
    Guardrail(
        "G003",
        "min_precision",
        "min",
        False,
        _cand("precision"),
        "Fires when fewer of the candidate's flagged rows are bad than the limit.",
        "precision",
    ),
    Guardrail(
        "G004",
        "max_review_per_day",
        "max",
        False,
        _cand("review_per_day"),
        "Fires when the mean rows sent to review per day exceed the limit.",
        "review_per_day",
    ),
    Guardrail(
        "G006",
        "max_review_peak_per_day",
        "max",
        False,
        _cand("review_peak_per_day"),
        "Fires when the most rows sent to review on one day exceed the limit.",
        "review_peak_per_day",
    ),
    Guardrail(
        "G007",
        "max_days_over_capacity",
        "max",
        False,
        _cand("days_over_capacity"),
        "Fires when more days than the limit send more rows to review than "
        "review_capacity_per_day.",
        "days_over_capacity",
    ),
    Guardrail(
        "G005",
        "max_expected_cost",
        "max",
        False,
        _cand("expected_cost"),
        "Fires when the candidate's expected cost exceeds the limit.",
        "expected_cost",
    ),
    Guardrail(
        "G101",
        "max_catch_rate_drop",
        "max",
        True,
        _delta("catch_rate", -1.0),
        "Fires when catch rate falls by more than the limit against the baseline.",
        "catch_rate",
    ),
    Guardrail(
        "G102",
        "max_false_positive_rate_increase",
        "max",
        True,
        _delta("false_positive_rate", 1.0),
        "Fires when false-positive rate rises by more than the limit against the baseline.",
        "false_positive_rate",
    ),
]


def check_labels_choice(labels: str) -> None:
    """`--labels` names a version of label metrics (before any work is done)."""
    if labels not in ("auto", *BASES):
        raise UsageError(f"--labels must be one of {', '.join(BASES)}")


def labels_basis(run: SimulationRun, labels: str = "auto") -> str:
    """Which version of label metrics to judge: `auto` is the control-group estimate when
    there is one, else the naive value."""
    check_labels_choice(labels)
    ways = run.candidate.metrics.estimates
    has_estimate = any(w.estimate is not None for w in ways.values())
    if labels == "auto":
        return "estimate" if has_estimate else "naive"
    if labels == "estimate" and ways and not has_estimate:
        raise UsageError(
            "--labels estimate needs a control group: some outcomes were never seen",
            hint="name it with `history: control:` (or --control), or pass --labels naive "
            "or --labels bounds",
        )
    return labels


def shown_as(rail: Guardrail) -> Callable[[float], str]:
    """How a limit of `rail` reads: a change for a relative guardrail (pp for shares)."""
    m = metric(rail.metric)
    return (lambda x: m.fmt_change(x).lstrip("+")) if rail.relative else m.fmt


def no_guardrails_error(run: SimulationRun, own_only: bool = False) -> UsageError:
    """What `check` says when there is nothing to check: a gate that checks nothing passes
    anything."""
    if run.baseline is None or own_only:
        why = "the candidate sets no guardrails" + (
            "" if own_only else " and there is no --baseline to take them from"
        )
    else:
        why = "neither the candidate nor the baseline sets a guardrail"
    return UsageError(
        f"nothing to check: {why}",
        hint="add a `guardrails:` section to the strategy, e.g. `min_catch_rate: 0.5`"
        + ("" if own_only else ", or pass --baseline with the strategy in production"),
    )


def judge_guardrail(
    run: SimulationRun, rail: Guardrail, limit: float, basis: str, strict: bool
) -> GuardrailResult:
    """One guardrail judged against `limit`."""
    measured = rail.measure(run, basis, rail.direction)
    if measured is None or math.isnan(measured[0]):
        why = _unmeasurable(rail, run)
        return GuardrailResult(
            rail.id,
            rail.key,
            None,
            limit,
            rail.direction,
            False,
            f"{rail.key}: cannot be checked, {why}",
        )
    result = _judge(rail, limit, *measured, strict=strict)
    if basis != "naive" and rail.metric in run.candidate.metrics.estimates:
        suffix = {
            "estimate": " (control-group estimate)",
            "bounds": " (bounds, pessimistic end)",
        }[basis]
        result = GuardrailResult(
            **{**result.to_dict(), "message": result.message + suffix, "labels": basis}
        )
    return result


def _judge(
    rail: Guardrail, limit: float, value: float, low: float, high: float, strict: bool
) -> GuardrailResult:
    is_max = rail.direction == "max"
    point_ok = value <= limit if is_max else value >= limit
    has_interval = not (math.isnan(low) or math.isnan(high))
    if strict or not has_interval:
        passed, basis = point_ok, "point"
    else:
        # fails only when the whole interval is on the wrong side of the limit
        passed, basis = (low <= limit if is_max else high >= limit), "interval"
    side = "under" if (value <= limit) else "over"
    m = metric(rail.metric)
    # a relative guardrail limits a change: values and limit read as changes (pp for shares)
    show = shown_as(rail)
    by = m.fmt_change(abs(value - limit)).lstrip("+")
    message = (
        f"{rail.key} {'holds' if passed else 'fails'}: {show(value)} vs "
        f"{rail.direction} {show(limit)}, {by} {side}"
    )
    if basis == "interval":
        interval = f"95% interval {show(low)} to {show(high)}"
        if passed and not point_ok:
            message += f"; {interval} includes the limit, so it may be noise"
        elif not passed:
            message += f"; {interval} lies wholly {'over' if is_max else 'under'} the limit"
    return GuardrailResult(
        rail.id,
        rail.key,
        value,
        limit,
        rail.direction,
        passed,
        message,
        low if has_interval else None,
        high if has_interval else None,
        basis,
    )


def _unmeasurable(rail: Guardrail, run: SimulationRun) -> str:
    """Why a guardrail has no value to judge, in the user's terms."""
    if rail.relative and run.comparison is None:
        return "needs --baseline"
    m = metric(rail.metric)
    counts = run.candidate.metrics.counts
    if "days" in m.needs and not run.roles.time:
        return "needs a time column (--time, or `time:` in the strategy)"
    strategy = run.candidate.loaded.strategy
    if "review_peak" in m.needs and not strategy.review_actions:
        return "the strategy has no review action (name them with `reviews:`)"
    if "days_over_capacity" in m.needs and strategy.review_capacity_per_day is None:
        return "needs `review_capacity_per_day:` in the strategy"
    if m.ratio is not None:
        denominator = m.ratio[1].replace("_", " ")
        if not getattr(counts, m.ratio[1]):
            return f"the evaluated rows have no {denominator} (rows with a usable label: " + (
                f"{int(counts.rows):,})"
            )
    return "no rows with a usable label to measure it"
