"""Sweep curves against scikit-learn; tuning against brute force over every threshold."""

import json
import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.simulation.simulate import run_simulation, simulate_one
from riskctl.strategy.load import load_strategy
from riskctl.tuning.sweep import curve_frame
from riskctl.tuning.thresholds import Target, choose, with_threshold
from riskctl.tuning.tune import tune_run


def test_curve_equals_scikit_learn_at_every_threshold() -> None:
    rng = np.random.default_rng(8)
    y = (rng.random(3_000) < 0.15).astype(int)
    score = np.round(rng.random(3_000) * 0.7 + y * 0.3, 2)  # ties
    frame = curve_frame(score, y)[1:]  # row 0 is the starting point (nothing flagged)
    fpr, tpr, thresholds = roc_curve(y, score, drop_intermediate=False)
    np.testing.assert_allclose(frame["threshold"].to_numpy(), thresholds[1:])
    np.testing.assert_allclose(frame["catch_rate"].to_numpy(), tpr[1:])
    np.testing.assert_allclose(frame["false_positive_rate"].to_numpy(), fpr[1:])
    precision, recall, pr_thresholds = precision_recall_curve(y, score)
    # scikit-learn lists thresholds ascending and ends with (precision 1, recall 0)
    by_threshold = dict(zip(pr_thresholds, precision[:-1], strict=True))
    for t, p in zip(frame["threshold"].to_numpy(), frame["precision"].to_numpy(), strict=True):
        assert p == pytest.approx(by_threshold[t])


STRATEGY = """name: t  # a comment that must survive tuning
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.6}  # the one to tune
segments:
  - {name: young, when: "age < 5", thresholds: {review: {score: 0.3}}}
rules:
  - {name: big, when: "amount > 97", action: review}
  - {name: farm, when: "devices >= 29", action: block}
label: y
time: t
amount: amount
costs: {false_positive: 3.0, review: 1.0}
"""


@pytest.fixture
def case(tmp_path: Path):
    rng = np.random.default_rng(3)
    n = 400
    y = (rng.random(n) < 0.2).astype(np.int8)
    df = pl.DataFrame(
        {
            "score": np.round(np.clip(rng.random(n) * 0.8 + y * 0.3, 0, 1), 2),
            "y": y,
            "age": rng.integers(0, 40, n),
            "amount": np.round(rng.random(n) * 100, 2),
            "devices": rng.integers(1, 30, n),
            "t": pl.datetime_range(
                pl.datetime(2026, 1, 1),
                pl.datetime(2026, 1, 1) + pl.duration(hours=3 * (n - 1)),
                "3h",
                eager=True,
            ),
        }
    )
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY)
    return strategy, data, df


def brute_force(strategy: Path, data: Path, target: Target):
    """Every distinct score (and 'flag nothing more') as the review threshold, simulated."""
    run = run_simulation(strategy, data)
    loaded = load_strategy(strategy)
    best = None
    for t in [math.inf, *sorted(set(run.table["score"].to_list()), reverse=True)]:
        m = simulate_one(with_threshold(loaded, "review", "score", t), run.table, run.roles).metrics
        row = {
            "threshold": t,
            "catch_rate": m.catch_rate.value,
            "false_positive_rate": m.false_positive_rate.value,
            "precision": m.precision.value,
            "review_per_day": m.review_per_day,
            "expected_cost": m.expected_cost,
        }
        best = row if best is None else best
        v = target.value if target.value is not None else 0.0
        ok = {
            "max_fpr": row["false_positive_rate"] <= v,
            "review_capacity": row["review_per_day"] <= v,
            "min_precision": not math.isnan(row["precision"]) and row["precision"] >= v,
            "min_catch_rate": row["catch_rate"] >= v,
            "min_cost": True,
        }[target.kind]
        if not ok:
            continue
        key = {
            "max_fpr": "catch_rate",
            "review_capacity": "catch_rate",
            "min_precision": "catch_rate",
            "min_catch_rate": "false_positive_rate",
            "min_cost": "expected_cost",
        }[target.kind]
        better = (
            (row[key] > best.get("_v", -np.inf))
            if key == "catch_rate"
            else (row[key] < best.get("_v", np.inf))
        )
        if "_v" not in best or better:
            best = {**row, "_v": row[key]}
    return best if "_v" in best else None


@pytest.mark.parametrize(
    "target",
    [
        Target("max_fpr", 0.15),
        Target("review_capacity", 1.5),
        Target("min_precision", 0.5),
        Target("min_catch_rate", 0.8),
        Target("min_cost"),
    ],
    ids=lambda t: t.kind,
)
def test_tuning_equals_brute_force(case, target: Target) -> None:
    strategy, data, _ = case
    result = tune_run(run_simulation(strategy, data), target)
    expected = brute_force(strategy, data, target)
    assert result.met == (expected is not None)
    assert result.after == expected["threshold"]
    for key in ("catch_rate", "false_positive_rate"):
        assert getattr(result.after_metrics, key).value == pytest.approx(expected[key])
    assert result.after_metrics.expected_cost == pytest.approx(expected["expected_cost"])


def test_unreachable_target_is_said(case) -> None:
    strategy, data, _ = case
    result = tune_run(run_simulation(strategy, data), Target("min_precision", 0.999))
    assert not result.met and "no threshold meets the target" in result.notes[0]
    frame = pl.DataFrame({"catch_rate": [0.0], "false_positive_rate": [0.0]})
    assert choose(frame, Target("min_catch_rate", 0.5)) == (None, "false_positive_rate")


def test_cli_writes_the_strategy_keeping_comments(case, tmp_path: Path) -> None:
    strategy, data, _ = case
    out = tmp_path / "tuned.yaml"
    result = CliRunner().invoke(
        app,
        [
            "tune",
            str(strategy),
            "--data",
            str(data),
            "--max-fpr",
            "0.15",
            "--holdout",
            "0.25",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    text = out.read_text()
    assert "# a comment that must survive tuning" in text and "# the one to tune" in text
    restored = text.replace(
        f"review: {{score: {report['threshold']['after']}}}", "review: {score: 0.6}"
    )
    assert re.sub(r" +#", " #", restored) == re.sub(r" +#", " #", STRATEGY)
    assert load_strategy(out).strategy.thresholds["review"]["score"] == report["threshold"]["after"]
    assert report["after"]["false_positive_rate"] <= 0.15
    assert report["holdout"]["after"]["rows"] == 100 and report["after"]["rows"] == 300


def test_sweep_with_a_strategy_starts_from_its_rules(case) -> None:
    strategy, data, df = case
    result = CliRunner().invoke(
        app, ["sweep", "--data", str(data), "--strategy", str(strategy), "--all-points", "--json"]
    )
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    start = points[0]
    assert start["threshold"] is None  # +inf: the rules and other thresholds only
    rows = df.to_dicts()
    base = [
        r["amount"] > 97
        or r["devices"] >= 29
        or r["score"] >= 0.9
        or (r["age"] < 5 and r["score"] >= 0.3)
        for r in rows
    ]
    assert start["flagged"] == sum(base)
    # rows of the `young` segment keep their own review threshold: the sweep leaves them
    young_unflagged = sum(r["age"] < 5 and not b for r, b in zip(rows, base, strict=True))
    assert points[-1]["flagged"] == len(rows) - young_unflagged
    assert [p["flagged"] for p in points] == sorted(p["flagged"] for p in points)


def test_compact_curve_is_a_subset_with_the_exact_fpr_points() -> None:
    rng = np.random.default_rng(4)
    y = (rng.random(20_000) < 0.05).astype(int)
    score = rng.random(20_000) * 0.7 + y * 0.3
    full = curve_frame(score, y)
    compact = curve_frame(score, y, compact=True)
    assert compact.height < 60
    assert compact.join(full, on="threshold", how="anti", nulls_equal=True).height == 0
    joined = compact.join(full, on="threshold", suffix="_full")
    np.testing.assert_allclose(joined["catch_rate"], joined["catch_rate_full"])
    fpr = full["false_positive_rate"].to_numpy()
    for target in (0.001, 0.005, 0.01, 0.02, 0.05):
        best = full["threshold"][int(np.flatnonzero(fpr <= target)[-1])]
        assert best in compact["threshold"].to_list()
