"""`riskctl train` with labels as they come, group splits, periods and calibration; the
detector's label value carried into `simulate` and `explain`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.detector import load_detector

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _history(tmp_path: Path, history: pl.DataFrame) -> Path:
    """The shared history with its label as review-spam data has it: -1 bad, 1 good."""
    path = tmp_path / "spam.parquet"
    history.head(12_000).with_columns(
        pl.when(pl.col("is_bad") == 1).then(-1).otherwise(1).alias("is_bad")
    ).drop("attack").write_parquet(path)
    return path


def test_labels_other_than_zero_one_need_bad(tmp_path: Path, history: pl.DataFrame) -> None:
    path = _history(tmp_path, history)
    result = invoke("train", path, "--label", "is_bad", "--out", tmp_path / "d")
    assert result.exit_code == 2
    assert "label column 'is_bad' has values '-1', '1', not 0/1" in result.output
    assert "--bad" in result.output and not (tmp_path / "d").exists()


def test_train_with_bad_group_period_and_calibration(tmp_path: Path, history: pl.DataFrame) -> None:
    path = _history(tmp_path, history)
    det = tmp_path / "d"
    result = invoke(
        "train", path, "--label", "is_bad", "--bad", "-1", "--time", "event_time",
        "--group", "buyer_id", "--period", "2w", "--calibrate", "platt", "--rounds", 20,
        "--out", det, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["split"]["groups"] == ["buyer_id"] and data["split"]["kind"] == "time"
    assert set(data["metrics"]["intervals"]) >= {"roc_auc", "pr_auc", "catch_rate_at_fpr.0.01"}
    fortnights = history.head(12_000)["event_time"].dt.truncate("2w").unique().sort()
    assert [p["period"] for p in data["periods"]] == [str(d.date()) for d in fortnights]
    assert all({"code", "message"} <= set(w) for w in data["warnings"])
    manifest = load_detector(det).manifest
    assert manifest["bad"] == "-1" and manifest["score_calibration"]["method"] == "platt"
    split = pl.read_parquet(det / "split.parquet")
    bad_rows = history.head(12_000).with_row_index("row").filter(pl.col("is_bad") == 1)["row"]
    assert split.filter(pl.col("label") == 1)["row"].sort().to_list() == bad_rows.to_list()
    # a strategy on the same -1/1 data: the detector's bad value applies, and explain's scores
    # are the calibrated ones simulate uses
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        f"name: s\ndetectors: {{score: {det}}}\nactions: [review, allow]\n"
        "thresholds: {review: {score: 0.05}}\nlabel: is_bad\n"
    )
    # (every row: the training file itself, whose training rows are left out by default)
    result = invoke("simulate", strategy, "--data", path, "--rows", "all", "--json")
    assert result.exit_code == 0, result.output
    assert (
        json.loads(result.stdout)["candidate"]["metrics"]["bad"]
        == history.head(12_000)["is_bad"].sum()
    )
    out = tmp_path / "why.parquet"
    result = invoke("explain", det, path, "--out", out)
    assert result.exit_code == 0, result.output
    explained = pl.read_parquet(out)
    scored = load_detector(det).score(pl.read_parquet(path))
    assert np.allclose(explained["score"].to_numpy(), scored, atol=1e-6)


def test_train_prints_intervals_periods_and_loud_warnings(
    tmp_path: Path, history_path: Path
) -> None:
    result = invoke(
        "train", history_path, "--label", "is_bad", "--time", "event_time", "--exclude",
        "attack", "--rounds", 15, "--out", tmp_path / "d", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Test slice (time split)" in result.stdout and "95% intervals" in result.stdout
    assert "By period (1w)" in result.stdout and "test ROC AUC" in result.stdout
    warnings = load_detector(tmp_path / "d").manifest["warnings"]
    assert result.stderr.count("WARNING [") == len(warnings)
    for w in warnings:
        assert f"WARNING [{w['code']}]" in result.stderr
