"""Every command on a local two-process Dask cluster gives the one-machine result."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from tests.distributed.conftest import assert_same, json_of, split_parts

runner = CliRunner()


def run(*args: str) -> object:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result


def both(command: list[str], single: Path, parts: Path, address: str) -> tuple[dict, dict]:
    one = run(*command, "--data", single, "--json")
    two = run(*command, "--data", parts, "--json", "--scheduler", address)
    assert one.exit_code == two.exit_code
    a, b = json_of(one.output), json_of(two.output)
    if isinstance(a, dict) and "data" in a:
        a.pop("data"), b.pop("data")
    return a, b


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--baseline", "BASE", "--by", "segment", "--by", "category"],
        ["--amount", "", "--by", "country"],
    ],
    ids=["candidate", "baseline-by", "no-amount"],
)
def test_simulate_equal(extra, small_scored, scored_parts, address, example_strategies, tmp_path):
    extra = [str(example_strategies / "baseline.yaml") if e == "BASE" else e for e in extra]
    if "--amount" in extra:  # a strategy without an amount column
        text = (example_strategies / "candidate.yaml").read_text()
        strategy = tmp_path / "s.yaml"
        strategy.write_text(text.replace("amount: amount\n", ""))
        extra = [e for e in extra if e not in ("--amount", "")]
    else:
        strategy = example_strategies / "candidate.yaml"
    a, b = both(["simulate", strategy, *extra], small_scored, scored_parts, address)
    assert (
        a["candidate"]["metrics"]["rows"] == 10_000 - a["candidate"]["metrics"]["left_out_immature"]
    )
    assert_same(a, b)


def test_check_equal(small_scored, scored_parts, address, example_strategies):
    command = [
        "check",
        example_strategies / "candidate.yaml",
        "--baseline",
        example_strategies / "baseline.yaml",
    ]
    a, b = both(command, small_scored, scored_parts, address)
    assert a["guardrails"] and a["passed"] == b["passed"]
    assert_same(a, b)


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--score", "score", "--label", "is_bad", "--amount", "amount"],
        ["sweep", "--score", "score", "--label", "is_bad", "--by", "category", "--all-points"],
        ["sweep", "--strategy", "CAND", "--by", "segment", "--all-points"],
        ["sweep", "--strategy", "CAND"],
    ],
    ids=["plain", "by-all-points", "strategy-by", "strategy"],
)
def test_sweep_equal(command, small_scored, scored_parts, address, example_strategies):
    command = [str(example_strategies / "candidate.yaml") if c == "CAND" else c for c in command]
    a, b = both(command, small_scored, scored_parts, address)
    assert_same(a, b)


def test_simulate_out_writes_the_same_decisions(
    small_scored, scored_parts, address, example_strategies, tmp_path
):
    strategy = example_strategies / "candidate.yaml"
    base = example_strategies / "baseline.yaml"
    run("simulate", strategy, "--baseline", base, "--data", small_scored, "--out", tmp_path / "one")
    run(
        "simulate",
        strategy,
        "--baseline",
        base,
        "--data",
        scored_parts,
        "--out",
        tmp_path / "two",
        "--scheduler",
        address,
    )
    for name in ("decisions", "baseline_decisions"):
        one = pl.read_parquet(tmp_path / "one" / f"{name}.parquet")
        parts = sorted((tmp_path / "two" / name).glob("part-*.parquet"))
        assert len(parts) == 3
        assert pl.concat([pl.read_parquet(p) for p in parts]).equals(one)
    assert_same(
        json_of((tmp_path / "one" / "metrics.json").read_text())["candidate"],
        json_of((tmp_path / "two" / "metrics.json").read_text())["candidate"],
    )


def test_score_equal(detector, small_history, small_history_parts, address, tmp_path, workdir):
    det = workdir / "detector"
    run("score", det, small_history, "--out", tmp_path / "one.parquet", "-q")
    run("score", det, small_history_parts, "--out", tmp_path / "two", "-q", "--scheduler", address)
    one = pl.read_parquet(tmp_path / "one.parquet")
    two = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert two.equals(one)


def test_explain_equal(detector, small_scored, address, tmp_path, workdir, example_strategies):
    small = pl.read_parquet(small_scored).head(1_500)
    single = tmp_path / "small.parquet"
    small.write_parquet(single)
    parts = split_parts(small, tmp_path / "parts", (400, 700, 400))
    args = [
        workdir / "detector",
        "--strategy",
        example_strategies / "candidate.yaml",
        "--reasons",
        example_strategies / "reason_codes.yaml",
        "--only-flagged",
        "-q",
    ]
    run("explain", args[0], single, *args[1:], "--out", tmp_path / "one.parquet")
    run("explain", args[0], parts, *args[1:], "--out", tmp_path / "two", "--scheduler", address)
    one = pl.read_parquet(tmp_path / "one.parquet")
    two = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert one.height > 0
    assert two.equals(one)


def test_glob_input_and_dataset_pin(scored_parts, address, example_strategies):
    glob = str(scored_parts / "day=*" / "*.parquet")
    strategy = example_strategies / "candidate.yaml"
    first = run("check", strategy, "--data", glob, "--json", "--scheduler", address)
    digest = json_of(first.output)["data"]["sha256"]
    pinned = run(
        "check", strategy, "--data", glob, "--json", "--scheduler", address, "--data-sha256", digest
    )
    assert json_of(pinned.output)["data"]["sha256"] == digest
    wrong = runner.invoke(
        app,
        ["check", str(strategy), "--data", glob, "--scheduler", address, "--data-sha256", "0" * 64],
    )
    assert wrong.exit_code == 2
    assert "pinned evaluation data" in wrong.output


@pytest.mark.slow
def test_train_close_to_one_machine_and_deterministic(detector, history_parts, address, tmp_path):
    args = [
        "train",
        history_parts,
        "--label",
        "is_bad",
        "--time",
        "event_time",
        "--exclude",
        "attack",
        "--rounds",
        "120",
        "--seed",
        "11",
        "--json",
    ]
    first = json_of(run(*args, "--out", tmp_path / "a", "--scheduler", address).output)
    again = run(*args, "--out", tmp_path / "b", "--scheduler", address)
    one = detector.manifest["metrics"]
    two = first["metrics"]
    assert first["features"] == [f["name"] for f in detector.manifest["features"]]
    # both train on the earliest 60%, stop early on the next 20% and test on the latest 20%
    assert two["slice"] == "test" and two["rows"] == one["rows"]
    split = first_manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())["split"]
    want = detector.manifest["split"]
    for key in ("train_rows", "early_stopping_rows", "test_rows"):
        assert split[key] == want[key], (key, first_manifest)
    assert two["roc_auc"] >= one["roc_auc"] - 0.01
    assert two["pr_auc"] >= one["pr_auc"] - 0.03
    model_a = (tmp_path / "a" / "model.ubj").read_bytes()
    assert model_a == (tmp_path / "b" / "model.ubj").read_bytes()
    assert json_of(again.output)["metrics"] == two


def test_check_equal_measured_the_baselines_way(
    small_scored, scored_parts, address, example_strategies, tmp_path
):
    """A candidate that changes how metrics are measured: the cluster measures the
    baseline's guardrails the baseline's way too, with the same note."""
    text = (example_strategies / "baseline.yaml").read_text()
    base, cand = tmp_path / "base.yaml", tmp_path / "cand.yaml"
    base.write_text(text + "guardrails: {max_review_per_day: 1000, max_expected_cost: 1e9}\n")
    zero = "costs: {false_positive: 0.0, review: 0.0}"
    cand.write_text(
        text.replace("costs: {false_positive: 5.0, review: 2.0}", zero) + "reviews: []\n"
    )
    command = ["check", cand, "--baseline", base]
    a, b = both(command, small_scored, scored_parts, address)
    assert a["notes"] and a["notes"] == b["notes"]
    assert any(g["note"] == "measured with the baseline's settings" for g in a["guardrails"])
    # a guardrail on expected cost holds a money sum (float rounding follows the order)
    for one, two in zip(a.pop("guardrails"), b.pop("guardrails"), strict=True):
        assert one.pop("value") == pytest.approx(two.pop("value"), rel=1e-9)
        assert one == two
    assert_same(a, b)
