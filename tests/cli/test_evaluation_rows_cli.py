"""Every evaluating command says when its rows were the detector's training rows, leaves
them out by default, and takes --rows."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.train import train_detector

runner = CliRunner()

STRATEGY = """name: s
detectors: {{score: {detector}}}
actions: [block, review, allow]
thresholds:
  block: {{score: 0.8}}
  review: {{score: 0.3}}
label: is_bad
time: event_time
amount: amount
guardrails:
  max_false_positive_rate: 0.5
"""


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, history: pl.DataFrame) -> dict:
    """A detector trained on the earlier 60% of 10,000 rows; the whole table; the strategy."""
    work = tmp_path_factory.mktemp("rows-cli")
    whole = history.head(10_000).sort("event_time")
    cut = whole["event_time"][int(whole.height * 0.6)]
    whole.filter(pl.col("event_time") < cut).write_parquet(work / "train.parquet")
    whole.write_parquet(work / "whole.parquet")
    det = train_detector(
        work / "train.parquet",
        label="is_bad",
        time="event_time",
        exclude=["attack"],
        out=work / "detector",
        seed=5,
        rounds=30,
    ).detector
    split = pl.read_parquet(det.path / "split.parquet")
    learnt = int(split["slice"].is_in(["train", "early_stopping"]).sum())
    strategy = work / "s.yaml"
    strategy.write_text(STRATEGY.format(detector=det.path), encoding="utf-8")
    return {"work": work, "data": work / "whole.parquet", "strategy": strategy, "learnt": learnt}


def _run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _rows(doc: dict, case: dict, choice: str = "not-train") -> None:
    rows = doc["evaluation_rows"]
    assert rows["rows"] == choice
    assert rows["counts"]["train"] + rows["counts"]["early_stopping"] == case["learnt"]
    assert "training rows" in rows["warning"]


@pytest.mark.parametrize("command", ["simulate", "check"])
def test_simulate_and_check_leave_training_rows_out_and_say_so(case, command: str) -> None:
    result = _run(command, case["strategy"], "--data", case["data"], "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    _rows(doc, case)
    assert doc["candidate"]["metrics"]["rows"] == 10_000 - case["learnt"]
    if command == "check":
        assert "training rows" in doc["notes"][0]
    text = _run(command, case["strategy"], "--data", case["data"])
    assert text.exit_code == 0 and "warning:" in text.output and "training rows" in text.output
    every = _run(command, case["strategy"], "--data", case["data"], "--rows", "all", "--json")
    doc = json.loads(every.stdout)
    _rows(doc, case, "all")
    assert (
        doc["candidate"]["metrics"]["rows"] == 10_000
        and "flatter" in doc["evaluation_rows"]["warning"]
    )


def test_tune_and_sweep_say_which_rows(case) -> None:
    out = case["work"] / "tuned.yaml"
    args = ["--data", case["data"], "--max-fpr", "0.05", "--out", out, "--json"]
    result = _run("tune", case["strategy"], *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    _rows(doc, case)
    assert "training rows" in doc["warnings"][0]
    result = _run("sweep", "--data", case["data"], "--strategy", case["strategy"], "--json")
    assert result.exit_code == 0, result.output
    _rows(json.loads(result.stdout), case)
    plain = _run("sweep", "--data", case["data"], "--score", "amount", "--label", "is_bad")
    assert plain.exit_code == 0  # a plain sweep knows no detector
    refused = _run(
        "sweep", "--data", case["data"], "--score", "amount", "--label", "is_bad", "--rows", "test"
    )
    assert refused.exit_code == 2 and "needs --strategy" in refused.output


def test_report_shows_the_rows_it_used(case) -> None:
    out = case["work"] / "report.md"
    args = ["--data", case["data"], "--out", out, "--format", "md"]
    result = _run("report", case["strategy"], *args)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "training rows" in text and "left out (--rows not-train)" in text
    html = case["work"] / "report.html"
    result = _run("report", case["strategy"], "--data", case["data"], "--out", html)
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "Rows used" in page and "--rows not-train:" in page


def test_monitor_leaves_training_rows_out_of_the_current_table(case) -> None:
    args = ["--current", case["data"], "--strategy", case["strategy"], "--json", "--sample", "0"]
    result = _run("monitor", *args)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    _rows(doc, case)
    assert doc["current"]["rows"] == 10_000 - case["learnt"]
    assert any("training rows" in w for w in doc["warnings"])


@pytest.mark.parametrize("command", ["simulate", "check", "tune", "report", "monitor"])
def test_a_bad_rows_value_is_one_line_exit_2(case, command: str) -> None:
    data = ["--current", case["data"]] if command == "monitor" else ["--data", case["data"]]
    first = [] if command == "monitor" else [case["strategy"]]
    extra = {
        "tune": ["--max-fpr", "0.05", "--out", case["work"] / "t.yaml"],
        "report": ["--out", case["work"] / "x.html"],
    }
    result = _run(command, *first, *data, *extra.get(command, []), "--rows", "some")
    assert result.exit_code == 2, result.output
    assert "--rows must be test, not-train or all" in result.output
    assert "Traceback" not in result.output
