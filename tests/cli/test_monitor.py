"""`riskctl monitor` and `riskctl data generate --drift` through Typer's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.detector import Detector, manifest_digest

runner = CliRunner()

LIMITS = """\
name: nightly
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.3}
label: is_bad
time: event_time
monitoring:
  max_psi: %s
"""


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drift") / "drifted.parquet"
    result = invoke(
        "data", "generate", "--rows", 6000, "--days", 28, "--seed", 3,
        "--drift", "shift=amount:14", "--out", path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def strategy(tmp_path: Path, max_psi: float) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(LIMITS % max_psi, encoding="utf-8")
    return path


def test_crossed_limit_exits_1_with_json_and_markdown(
    tmp_path: Path, drifted: Path, detector: Detector
) -> None:
    md = tmp_path / "m.md"
    result = invoke(
        "monitor", "--current", drifted, "--every", "7d", "--detector", detector.path,
        "--strategy", strategy(tmp_path, 0.25), "--by", "category", "--json",
        "--markdown", md, "--sample", 300,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["passed"] is False
    assert "max_psi:amount" in [t["id"] for t in out["thresholds"] if not t["passed"]]
    assert out["drift"][0]["column"] == "amount"
    assert out["reference"]["rows"] + out["current"]["rows"] == 6000
    assert len(out["series"]) == 4 and out["attribution"][0]["by"] == "category"
    text = md.read_text(encoding="utf-8")
    assert text.startswith("## riskctl monitor: `nightly`") and "max" not in text.split("\n")[0]
    assert "PSI of amount" in text


def test_limits_hold_exit_0_and_markdown_format(
    tmp_path: Path, drifted: Path, detector: Detector
) -> None:
    result = invoke(
        "monitor", "--current", drifted, "--every", "7d", "--detector", detector.path,
        "--strategy", strategy(tmp_path, 50), "--format", "md", "--sample", 0,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## riskctl monitor: `nightly`")
    assert "limits hold" in result.stdout


def test_text_output_and_report(tmp_path: Path, drifted: Path, detector: Detector) -> None:
    report = tmp_path / "m.html"
    result = invoke(
        "monitor", "--current", drifted, "--every", "7d", "--reference-periods", 1,
        "--detector", detector.path, "--report", report, "--sample", 200,
    )  # fmt: skip
    # no strategy, so no `monitoring:` section: the planted drift crosses a default limit
    assert result.exit_code == 1, result.output
    assert "default limits crossed" in result.stdout
    assert "Drift (largest PSI first)" in result.stdout and report.stat().st_size > 10_000


def test_training_bins_stand_in_for_a_reference(
    tmp_path: Path, history_path: Path, detector: Detector
) -> None:
    result = invoke(
        "monitor", "--current", history_path, "--detector", detector.path, "--json",
        "--sample", 0,
    )  # fmt: skip
    # exit 1 when the held-out rows cross a default limit against the training bins
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.stdout)
    assert out["reference"]["rows"] is None and "training data" in out["reference"]["name"]
    assert {d["bins_from"] for d in out["drift"]} == {"detector"}


def test_older_detector_falls_back_to_reference_bins(
    tmp_path: Path, history_path: Path, detector: Detector
) -> None:
    old = tmp_path / "old"
    shutil.copytree(detector.path, old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["bins"]  # as an older riskctl wrote it (and signed it)
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (old / "manifest.json").write_text(json.dumps(manifest))
    cur = tmp_path / "cur.parquet"
    pl.read_parquet(history_path).tail(5000).write_parquet(cur)
    result = invoke(
        "monitor", "--reference", history_path, "--current", cur, "--detector", old,
        "--json", "--sample", 0,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {d["bins_from"] for d in out["drift"]} == {"reference"}
    assert any("stores no training bins" in w for w in out["warnings"])
    # and without a reference there is nothing to compare with
    result = invoke("monitor", "--current", cur, "--detector", old)
    assert result.exit_code == 2
    assert "nothing to compare the current table with" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "3x"], "--every '3x': not a period"),
        (["--every", "1d", "--reference-periods", "99"], "--reference-periods must be between"),
        (["--format", "pdf"], "--format must be text or md"),
        (["--by", "nope", "--every", "7d"], "nope"),
        (["--reference-periods", "2"], "--reference-periods splits one table"),
        (["--every", "7d", "--sample", "-1"], "--sample must be 0 or more"),
        (["--every", "7d", "--report", "."], "--report is a directory"),
    ],
)
def test_bad_input_is_one_line_exit_2(drifted: Path, args: list[str], message: str) -> None:
    result = invoke("monitor", "--current", drifted, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("melt:3", "unknown kind 'melt'"),
        ("attack:soon", "the day after ':' must be a whole number"),
        ("shift=category:3", "'category' is String, not a number"),
        ("mix=category:3", "mix needs COLUMN=VALUE"),
        ("mix=category=nothing:3", "no row has category = 'nothing'"),
    ],
)
def test_bad_drift_is_one_line_exit_2(tmp_path: Path, spec: str, message: str) -> None:
    out = tmp_path / "x.parquet"
    result = invoke("data", "generate", "--rows", 500, "--days", 7, "--drift", spec, "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.output and not out.exists()


def test_help_has_an_example() -> None:
    result = invoke("monitor", "--help")
    assert result.exit_code == 0 and "Example" in result.output


def test_same_inputs_same_outputs(tmp_path: Path, drifted: Path, detector: Detector) -> None:
    outputs = []
    for name in ("a", "b"):
        report = tmp_path / f"{name}.html"
        result = invoke(
            "monitor", "--current", drifted, "--every", "7d", "--detector", detector.path,
            "--strategy", strategy(tmp_path, 0.25), "--by", "category", "--json",
            "--sample", 300, "--seed", 5, "--report", report,
        )  # fmt: skip
        assert result.exit_code == 1, result.output
        outputs.append((result.stdout, report.read_bytes()))
    assert outputs[0] == outputs[1]


def test_bad_labels_and_empty_tables_exit_2(tmp_path: Path, drifted: Path) -> None:
    df = pl.read_parquet(drifted)
    odd = tmp_path / "odd.csv"
    df.with_columns(pl.col("is_bad").cast(pl.Int64) * 2).write_csv(odd)
    result = invoke("monitor", "--current", odd, "--every", "7d", "--label", "is_bad")
    assert result.exit_code == 2 and "values other than 0 and 1" in result.output
    empty = tmp_path / "empty.parquet"
    df.head(0).write_parquet(empty)
    result = invoke("monitor", "--reference", drifted, "--current", empty)
    assert result.exit_code == 2 and "no rows to monitor" in result.output


def test_scores_that_are_not_probabilities_get_no_estimates(tmp_path: Path, drifted: Path) -> None:
    df = pl.read_parquet(drifted).with_columns(score=pl.col("amount"))
    path = tmp_path / "raw.parquet"
    df.write_parquet(path)
    result = invoke(
        "monitor", "--current", path, "--every", "7d", "--strategy", strategy(tmp_path, 9),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["estimates"] is None
    assert any("not a probability" in w for w in out["warnings"])
