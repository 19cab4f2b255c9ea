from pathlib import Path

import pytest

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.guardrails import GUARDRAILS
from riskctl.numbers import fmt_points
from riskctl.simulation.simulate import run_simulation
from riskctl.strategy.schema import Guardrails, RelativeGuardrails

STRATEGY = """name: {name}
actions: [review, allow]
thresholds:
  review: {{score: {review}}}
label: is_bad
time: event_time
guardrails:
{rails}
"""


def test_every_guardrail_has_a_stable_id_a_doc_and_a_schema_field() -> None:
    ids = [g.id for g in GUARDRAILS]
    assert len(ids) == len(set(ids))
    for g in GUARDRAILS:
        assert g.doc.startswith("Fires when"), g.id
        model = RelativeGuardrails if g.relative else Guardrails
        assert g.key in model.model_fields, g.key
    keys = {g.key for g in GUARDRAILS}
    assert set(Guardrails.model_fields) - {"relative"} <= keys
    assert set(RelativeGuardrails.model_fields) <= keys


def _write(tmp_path: Path, name: str, review: float, rails: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(STRATEGY.format(name=name, review=review, rails=rails))
    return path


def test_absolute_guardrails_pass_and_fail_by_the_right_amount(tmp_path, scored_path) -> None:
    cand = _write(tmp_path, "c", 0.5, "  max_false_positive_rate: 0.0001\n  min_catch_rate: 0.01")
    run = run_simulation(cand, scored_path)
    results = {r.name: r for r in check_guardrails(run)}
    fpr = run.candidate.metrics.false_positive_rate.value
    assert not results["max_false_positive_rate"].passed
    assert results["max_false_positive_rate"].value == fpr
    by = fmt_points(fpr - 0.0001).lstrip("+")
    assert f"{by} over" in results["max_false_positive_rate"].message
    assert results["min_catch_rate"].passed


def test_relative_guardrail_needs_and_uses_the_baseline(tmp_path, scored_path) -> None:
    base = _write(tmp_path, "b", 0.5, "  {}")
    cand = _write(tmp_path, "c", 0.9, "  relative:\n    max_catch_rate_drop: 0.0")
    (alone,) = check_guardrails(run_simulation(cand, scored_path))
    assert not alone.passed and "needs --baseline" in alone.message
    run = run_simulation(cand, scored_path, baseline=base)
    (result,) = check_guardrails(run)
    drop = -run.comparison.delta["catch_rate"].value
    assert drop > 0 and result.value == pytest.approx(drop) and not result.passed
