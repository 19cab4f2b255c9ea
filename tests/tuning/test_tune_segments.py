"""Per-segment tuning against brute force over every combination of thresholds."""

import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.simulation.simulate import run_simulation, simulate_one
from riskctl.strategy.load import load_strategy
from riskctl.tuning.thresholds import Target, with_segment_thresholds
from riskctl.tuning.tune import tune_run

STRATEGY = """name: t
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.6}
segments:
  - {name: young, when: "age < 10", thresholds: {review: {score: 0.3}}}
rules:
  - {name: big, when: "amount > 97", action: review}
label: y
time: t
amount: amount
costs: {false_positive: 3.0, review: 1.0}
"""


@pytest.fixture
def case(tmp_path: Path):
    rng = np.random.default_rng(11)
    n = 160
    y = (rng.random(n) < 0.25).astype(np.int8)
    df = pl.DataFrame(
        {
            "score": np.round(np.clip(rng.random(n) * 0.8 + y * 0.3, 0, 1), 1),
            "y": y,
            "age": rng.integers(0, 40, n),
            "amount": np.round(rng.random(n) * 100, 2),
            "region": rng.choice(["eu", "us", "apac"], n),
            "t": pl.datetime_range(
                pl.datetime(2026, 1, 1),
                pl.datetime(2026, 1, 1) + pl.duration(hours=6 * (n - 1)),
                "6h",
                eager=True,
            ),
        }
    )
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY)
    return strategy, data


def brute_force(strategy: Path, data: Path, target: Target, by: str):
    run = run_simulation(strategy, data, by=[by] if by != "segment" else None)
    loaded = load_strategy(strategy)
    table = run.table
    values = ["(none)", "young"] if by == "segment" else sorted(set(table[by].to_list()))
    grid = [np.inf, *sorted(set(table["score"].to_list()), reverse=True)]
    best = None
    for combo in itertools.product(grid, repeat=len(values)):
        tuned = with_segment_thresholds(
            loaded, "review", "score", by, dict(zip(values, combo, strict=True)), dict(table.schema)
        )
        m = simulate_one(tuned, table, run.roles).metrics
        v = target.value if target.value is not None else 0.0
        ok = {
            "max_fpr": m.false_positive_rate.value <= v,
            "min_catch_rate": m.catch_rate.value >= v,
            "min_cost": True,
        }[target.kind]
        if not ok:
            continue
        value = {
            "max_fpr": -m.catch_rate.value,
            "min_catch_rate": m.false_positive_rate.value,
            "min_cost": m.expected_cost,
        }[target.kind]
        if best is None or value < best - 1e-12:
            best = value
    return best


@pytest.mark.parametrize(
    "target",
    [Target("max_fpr", 0.12), Target("min_catch_rate", 0.85), Target("min_cost")],
    ids=lambda t: t.kind,
)
def test_per_segment_tuning_equals_brute_force(case, target: Target) -> None:
    strategy, data = case
    result = tune_run(run_simulation(strategy, data), target, by="segment")
    expected = brute_force(strategy, data, target, "segment")
    assert result.met and expected is not None
    got = {
        "max_fpr": -result.after_metrics.catch_rate.value,
        "min_catch_rate": result.after_metrics.false_positive_rate.value,
        "min_cost": result.after_metrics.expected_cost,
    }[target.kind]
    assert got == pytest.approx(expected)
    assert set(result.segments) == {"(none)", "young"}


def most_caught_within(strategy: Path, data: Path, max_fpr: float, column: str) -> float:
    """The best catch rate within `max_fpr` over every combination of review thresholds,
    one per value of `column` (a brute force like `brute_force`, over 12^3 combinations).

    A row is decided by its own value's threshold alone, so the engine decides every row
    once per threshold (that threshold for every value), and a combination's caught and
    falsely flagged rows are the sums, value by value, of those decided at the value's
    threshold. The best combination is then run through the engine with its thresholds."""
    run = run_simulation(strategy, data, by=[column])
    loaded, table = load_strategy(strategy), run.table
    values = sorted(set(table[column].to_list()))
    grid = [np.inf, *sorted(set(table["score"].to_list()), reverse=True)]
    bad = table["y"].to_numpy() == 1
    counts = {}
    for threshold in grid:
        same = dict.fromkeys(values, threshold)
        tuned = with_segment_thresholds(loaded, "review", "score", column, same, dict(table.schema))
        flagged = simulate_one(tuned, table, run.roles).decisions["flagged"].to_numpy()
        for value in values:
            rows = flagged & (table[column].to_numpy() == value)
            counts[value, threshold] = (int((rows & bad).sum()), int((rows & ~bad).sum()))
    best: tuple[int, tuple] | None = None
    for combo in itertools.product(grid, repeat=len(values)):
        caught = sum(counts[v, t][0] for v, t in zip(values, combo, strict=True))
        false = sum(counts[v, t][1] for v, t in zip(values, combo, strict=True))
        if false / (~bad).sum() <= max_fpr and (best is None or caught > best[0]):
            best = (caught, combo)
    assert best is not None
    thresholds = dict(zip(values, best[1], strict=True))
    tuned = with_segment_thresholds(loaded, "review", "score", column, thresholds, table.schema)
    assert simulate_one(tuned, table, run.roles).metrics.catch_rate.value == best[0] / bad.sum()
    return best[0] / bad.sum()


def _without_segments(tmp_path: Path) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        STRATEGY.replace(
            'segments:\n  - {name: young, when: "age < 10", thresholds: {review: {score: 0.3}}}\n',
            "",
        )
    )
    return plain


def test_by_a_column_writes_new_segments(case, tmp_path: Path) -> None:
    strategy, data = case
    plain = _without_segments(tmp_path)
    out = tmp_path / "tuned.yaml"
    result = CliRunner().invoke(
        app,
        [
            "tune",
            str(plain),
            "--data",
            str(data),
            "--max-fpr",
            "0.12",
            "--by",
            "region",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    tuned = load_strategy(out).strategy
    assert [s.name for s in tuned.segments] == ["region_apac", "region_eu", "region_us"]
    assert tuned.segments[1].when == "region = 'eu'"
    again = run_simulation(out, data)
    assert again.candidate.metrics.catch_rate.value == pytest.approx(report["after"]["catch_rate"])
    assert again.candidate.metrics.false_positive_rate.value <= 0.12
    assert -report["after"]["catch_rate"] == pytest.approx(
        -most_caught_within(plain, data, 0.12, "region")
    )


def test_by_a_column_keeps_missing_apart_from_a_value_spelled_none(case, tmp_path: Path) -> None:
    """`(none)` is a real value in web exports: rows with it and rows with no value are two
    segments, the second selected by IS NULL, and the written file does what was tuned."""
    strategy, data = case
    df = pl.read_parquet(data)
    rng = np.random.default_rng(5)
    region = pl.Series(rng.choice(["(none)", "", "eu"], df.height)).replace("", None)
    data = tmp_path / "d_none.parquet"
    df.with_columns(region.alias("region")).write_parquet(data)
    plain = _without_segments(tmp_path)
    out = tmp_path / "tuned.yaml"
    args = ["tune", str(plain), "--data", str(data), "--max-fpr", "0.12", "--by", "region"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    whens = {s.name: s.when for s in load_strategy(out).strategy.segments}
    assert whens == {
        "region_(missing)": "region IS NULL",
        "region_(none)": "region = '(none)'",
        "region_eu": "region = 'eu'",
    }
    again = run_simulation(out, data, by=["region"])
    assert again.candidate.metrics.catch_rate.value == pytest.approx(report["after"]["catch_rate"])
    assert set(again.candidate.by["region"]) == {"(none)", "(missing)", "eu"}


def test_by_a_column_with_nan_is_refused_with_the_reason(case, tmp_path: Path) -> None:
    strategy, data = case
    df = pl.read_parquet(data)
    g = pl.Series(np.where(np.arange(df.height) % 5 == 0, np.nan, np.arange(df.height) % 3 * 0.1))
    data = tmp_path / "d_nan.parquet"
    df.with_columns(g.alias("g")).write_parquet(data)
    plain = _without_segments(tmp_path)
    args = ["tune", str(plain), "--data", str(data), "--max-fpr", "0.12", "--by", "g"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2
    assert "--by g: the column holds 32 NaN or infinite values" in result.output
