"""Every metric named anywhere in riskctl is declared in the registry, and every share is the
registry's: a detector's trade-off curve and the daily series divide as the registry does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import riskctl
from riskctl.metrics.registry import BY_KEY, Counts, metric
from riskctl.model.ranking import tradeoff_curve
from riskctl.numbers import ratio
from riskctl.strategy.schema import Guardrails, RelativeGuardrails

ROOT = Path(riskctl.__file__).parent
# a name that reads like a metric: a rate, a precision, a cost, a load per day
LOOKS_LIKE = re.compile(r"^[a-z][a-z0-9_]*(_rate|precision|_cost|_per_day)$")
# how a metric is named in a bound (guardrail, tuning target, monitor threshold)
PREFIXES = ("min_estimated_", "max_estimated_", "min_", "max_")
# names that read like metrics but are not strategy metrics, each with what it is
NOT_METRICS = {
    "bad_rate": "a table's share of bad rows (profile, training slices)",
    "train_bad_rate": "the training slice's share of bad rows",
    "test_bad_rate": "the test slice's share of bad rows",
    "learning_rate": "an XGBoost parameter",
    "review_capacity_per_day": "a strategy setting, the reviews a team can do per day",
    "min_cost": "the tuning objective: the least expected_cost",
    "base_rate": "discover: the share of bad rows among every labelled row, beside a block's",
    "alerts_per_day": "rules suggest: rows a suggested rule newly flags per holdout day",
}


def named_in_code() -> dict[str, set[str]]:
    """Every string constant and attribute in riskctl's modules that looks like a metric."""
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            elif isinstance(node, ast.Attribute):
                name = node.attr
            else:
                continue
            if LOOKS_LIKE.match(name):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


# how a bound on a change against the baseline is named
SUFFIXES = ("_drop", "_increase")


def declared(name: str) -> bool:
    if name in BY_KEY or name in NOT_METRICS:
        return True
    for prefix in PREFIXES:
        if name.startswith(prefix):
            rest = name.removeprefix(prefix)
            if rest in BY_KEY or any(rest.removesuffix(s) in BY_KEY for s in SUFFIXES):
                return True
    return False


def test_the_scan_sees_the_metrics_in_use():
    found = named_in_code()
    assert {"catch_rate", "false_positive_rate", "max_review_per_day"} <= set(found)
    assert "min_estimated_precision" in found  # the monitor's thresholds


def test_every_metric_named_in_the_code_is_declared():
    undeclared = {n: sorted(w) for n, w in named_in_code().items() if not declared(n)}
    assert not undeclared, f"declare these in riskctl/metrics/registry.py: {undeclared}"


@pytest.mark.parametrize("model", [Guardrails, RelativeGuardrails])
def test_every_guardrail_bounds_a_declared_metric(model):
    for name in model.model_fields:
        if name.startswith(("min_", "max_")):
            assert declared(name), f"{model.__name__}.{name}"


def test_a_detector_curve_divides_as_the_registry():
    rng = np.random.default_rng(0)
    score, label = rng.random(500).round(2), rng.random(500) < 0.2
    c = tradeoff_curve(score, label)
    counts = Counts(
        rows=c.flagged_bad * 0 + 500,
        bad=c.total_bad,
        good=c.total_good,
        flagged=c.flagged_bad + c.flagged_good,
        flagged_bad=c.flagged_bad,
        flagged_good=c.flagged_good,
    )
    for key, mine in (
        ("catch_rate", c.catch_rate),
        ("false_positive_rate", c.false_positive_rate),
        ("precision", c.precision),
    ):
        np.testing.assert_array_equal(mine, metric(key).value(counts))


def test_a_share_of_nothing_is_undefined_everywhere():
    assert np.isnan(ratio(0, 0)) and ratio(1, 4) == 0.25
    nothing = Counts(rows=10, bad=0, good=10, flagged=0, flagged_bad=0, flagged_good=0)
    assert np.isnan(metric("precision").value(nothing))
    assert np.isnan(metric("catch_rate").value(nothing))
    no_bad = tradeoff_curve(np.array([0.5, 0.2]), np.array([0, 0]))
    assert np.isnan(no_bad.catch_rate).all()
