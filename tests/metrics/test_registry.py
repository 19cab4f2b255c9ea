"""The metric registry and the decision schema: one declaration per metric, action kinds
declared (a review action named `hold` behaves exactly like `review`), and the fixes to
`diff`, `sweep --strategy` and `tune` that the single decision model brought."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.diff import diff_strategies
from riskctl.metrics.registry import METRICS, Costs, Counts, row_counts
from riskctl.simulation.simulate import run_simulation
from riskctl.strategy.load import load_strategy
from riskctl.tuning.thresholds import Target
from riskctl.tuning.tune import tune_run

runner = CliRunner()

STRATEGY = """name: s
actions: [block, {review}, allow]
{reviews}thresholds:
  block: {{score: 0.9}}
  {review}: {{score: 0.5}}
rules:
  - {{name: big, when: "amount > 90", action: {review}}}
label: y
time: t
amount: amount
costs: {{false_positive: 3.0, review: 2.0}}
review_capacity_per_day: 4
guardrails:
  max_review_per_day: 5
  max_expected_cost: 100000
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    n = 2_000
    y = (rng.random(n) < 0.1).astype(np.int8)
    frame = pl.DataFrame(
        {
            "score": np.clip(rng.random(n) * 0.8 + y * 0.3, 0, 1),
            "y": y,
            "amount": np.round(rng.random(n) * 100, 2),
            "t": pl.datetime_range(
                pl.datetime(2025, 1, 1),
                pl.datetime(2025, 1, 1) + pl.duration(hours=n - 1),
                "1h",
                eager=True,
            ),
            "region": rng.choice(["north", "south"], n),
        }
    )
    path = tmp_path / "d.parquet"
    frame.write_parquet(path)
    return path


def _strategy(tmp_path: Path, review: str, reviews: str = "") -> Path:
    path = tmp_path / f"{review}.yaml"
    path.write_text(STRATEGY.format(review=review, reviews=reviews))
    return path


def test_every_metric_is_declared_with_what_people_read() -> None:
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    for m in METRICS:
        assert m.label and m.doc, m.key
        assert (m.ratio is None) != (m.formula is None), m.key
        if m.ratio:
            assert all(f in Counts.__dataclass_fields__ for f in m.ratio), m.key


def test_registry_values_equal_row_by_row_definitions() -> None:
    rng = np.random.default_rng(4)
    flagged = rng.random(500) < 0.3
    label = (rng.random(500) < 0.2).astype(int)
    amount = rng.random(500) * 50
    per_row = row_counts(flagged, label, amount)
    counts = Counts(**{k: np.sum(v) for k, v in per_row.to_dict().items()})
    counts = Counts(
        **{**counts.to_dict(), "reviews": 40, "days": 8, "review_peak": 9, "days_over_capacity": 2}
    )
    bad, good = label == 1, label == 0
    expected = {
        "catch_rate": (flagged & bad).sum() / bad.sum(),
        "false_positive_rate": (flagged & good).sum() / good.sum(),
        "precision": (flagged & bad).sum() / flagged.sum(),
        "alert_rate": flagged.mean(),
        "review_per_day": 40 / 8,
        "review_peak_per_day": 9,
        "days_over_capacity": 2,
        "amount_catch_rate": amount[flagged & bad].sum() / amount[bad].sum(),
        "good_amount_impacted_rate": amount[flagged & good].sum() / amount[good].sum(),
        "expected_cost": amount[bad & ~flagged].sum() + 3.0 * (flagged & good).sum() + 2.0 * 40,
    }
    assert set(expected) == {m.key for m in METRICS}
    for m in METRICS:
        assert m.value(counts, Costs(false_positive=3.0, review=2.0)) == pytest.approx(
            expected[m.key]
        ), m.key


def test_a_review_action_named_hold_behaves_like_review(tmp_path: Path, data: Path) -> None:
    review = run_simulation(_strategy(tmp_path, "review"), data)
    hold = run_simulation(_strategy(tmp_path, "hold", "reviews: [hold]\n"), data)
    a, b = review.candidate, hold.candidate
    assert a.decisions["flagged"].to_list() == b.decisions["flagged"].to_list()
    assert a.decisions["action"].replace("review", "hold").to_list() == (
        b.decisions["action"].to_list()
    )
    for key in ("expected_cost", "review_per_day", "catch_rate", "false_positive_rate"):
        assert a.metrics.value(key) == pytest.approx(b.metrics.value(key)), key
    assert a.metrics.review_per_day > 0
    verdicts = [(g.id, g.passed, g.value) for g in check_guardrails(review)]
    assert verdicts == [(g.id, g.passed, g.value) for g in check_guardrails(hold)]
    assert all(g.value is not None for g in check_guardrails(hold))
    tuned = [tune_run(run, Target("review_capacity", 3.0)).after for run in (review, hold)]
    assert tuned[0] == tuned[1]


def test_without_declared_reviews_hold_is_not_review(tmp_path: Path, data: Path) -> None:
    run = run_simulation(_strategy(tmp_path, "hold"), data)
    assert run.candidate.metrics.counts.reviews == 0


def test_reviews_must_name_actions(tmp_path: Path) -> None:
    path = _strategy(tmp_path, "hold", "reviews: [hodl]\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "unknown action 'hodl'" in result.output


def test_diff_reports_a_segment_reorder(tmp_path: Path) -> None:
    base = """name: s
actions: [review, allow]
thresholds: {review: {score: 0.9}}
segments:
  - {name: a, when: "amount > 10", thresholds: {review: {score: 0.1}}}
  - {name: b, when: "amount > 50", thresholds: {review: {score: 0.5}}}
"""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(base)
    lines = base.splitlines()
    new.write_text("\n".join([*lines[:4], lines[5], lines[4]]) + "\n")
    changes = diff_strategies(load_strategy(old), load_strategy(new))
    assert [c.kind for c in changes] == ["segment order"]
    assert "can move decisions" in str(changes[0])
    result = runner.invoke(app, ["diff", str(old), str(new)])
    assert "No semantic change" not in result.output


def test_diff_reports_a_reorder_of_rules_giving_the_same_action(tmp_path: Path) -> None:
    head = "name: s\nactions: [block, review, allow]\nrules:\n"
    r1 = '  - {name: r1, when: "amount > 10", action: review, reason: R1}\n'
    r2 = '  - {name: r2, when: "amount > 50", action: review, reason: R2}\n'
    r3 = '  - {name: r3, when: "amount > 90", action: block}\n'
    old, new, other = tmp_path / "old.yaml", tmp_path / "new.yaml", tmp_path / "other.yaml"
    old.write_text(head + r1 + r3 + r2)
    new.write_text(head + r2 + r1 + r3)  # r2 now decides the rows both review rules match
    other.write_text(head + r3 + r1 + r2)  # a block rule moved: severity decides, no change
    changes = diff_strategies(load_strategy(old), load_strategy(new))
    assert [(c.kind, c.before, c.after) for c in changes] == [("rule order", "r1 > r2", "r2 > r1")]
    assert diff_strategies(load_strategy(old), load_strategy(other)) == []


@pytest.mark.parametrize("segments", [False, True])
def test_sweep_with_a_strategy_with_and_without_segments(
    tmp_path: Path, data: Path, segments: bool
) -> None:
    text = STRATEGY.format(review="review", reviews="")
    if segments:
        text += (
            'segments:\n  - {name: young, when: "amount < 5", thresholds: {block: {score: 0.2}}}\n'
        )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["sweep", "--data", str(data), "--strategy", str(path), "--json"])
    assert result.exit_code == 0, result.output
    curves = json.loads(result.stdout)
    curves = curves if isinstance(curves, list) else [curves]
    labels = pl.read_parquet(data)["y"]
    whole = next(c for c in curves if c["segment"] is None)
    assert (whole["rows"], whole["bad"]) == (labels.len(), labels.sum())
    for curve in curves:
        points = curve["points"]
        good = curve["rows"] - curve["bad"] - curve["no_label"]
        assert [p["flagged"] for p in points] == sorted(p["flagged"] for p in points)
        for p in points:
            assert p["flagged"] == p["flagged_bad"] + p["flagged_good"]
            assert p["catch_rate"] == pytest.approx(p["flagged_bad"] / curve["bad"])
            assert p["false_positive_rate"] == pytest.approx(p["flagged_good"] / good)


def test_tune_takes_the_label_from_the_detector_manifest(
    tmp_path: Path, scored_path: Path, detector
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n"
        f"detectors: {{score: {detector.path}}}\n"
    )
    result = runner.invoke(
        app,
        [
            "tune",
            str(path),
            "--data",
            str(scored_path),
            "--max-fpr",
            "0.01",
            "--out",
            str(tmp_path / "t.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    # the label came from the manifest: the tuned strategy holds its FPR limit on the data
    run = run_simulation(tmp_path / "t.yaml", scored_path)
    assert run.candidate.metrics.value("false_positive_rate") <= 0.01
    assert run.candidate.metrics.counts.bad > 0
