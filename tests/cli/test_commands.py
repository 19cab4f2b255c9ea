"""Each command through Typer's runner: output files, JSON shape, exit codes."""

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_generate_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for path in (a, b):
        result = invoke("data", "generate", "--rows", 3000, "--seed", 4, "--out", path, "--json")
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3000 and 0.01 <= summary["bad_rate"] <= 0.05


def test_train_score_explain(tmp_path: Path, history_path: Path) -> None:
    det = tmp_path / "det"
    result = invoke(
        "train",
        history_path,
        "--label",
        "is_bad",
        "--time",
        "event_time",
        "--exclude",
        "attack",
        "--out",
        det,
        "--rounds",
        30,
        "--json",
    )
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    assert "attack" not in trained["features"] and trained["metrics"]["roc_auc"] > 0.8
    roles = {r["column"]: r["role"] for r in trained["roles"]}
    assert roles["buyer_id"] == "id" and roles["ip"] == "id" and roles["is_bad"] == "label"

    scored = tmp_path / "scored.parquet"
    result = invoke("score", det, history_path, "--out", scored, "--keep", "amount")
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(scored)
    original = pl.read_parquet(history_path)
    assert df.columns == [
        "is_bad",
        "event_time",
        "order_id",
        "buyer_id",
        "seller_id",
        "device_id",
        "ip",
        "amount",
        "score",
    ]
    assert df["order_id"].equals(original["order_id"])  # input order kept

    sample = tmp_path / "sample.csv"
    original.head(200).drop("attack").write_csv(sample)
    reasons = tmp_path / "reasons.parquet"
    result = invoke("explain", det, sample, "--out", reasons, "--top", 2)
    assert result.exit_code == 0, result.output
    out = pl.read_parquet(reasons)
    assert out.height == 200
    assert out["reason_codes"].list.len().max() <= 2


def test_simulate_json_and_files(
    tmp_path: Path, scored_path: Path, example_strategies: Path
) -> None:
    out = tmp_path / "sim"
    result = invoke(
        "simulate",
        example_strategies / "candidate.yaml",
        "--baseline",
        example_strategies / "baseline.yaml",
        "--data",
        scored_path,
        "--out",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for side in ("candidate", "baseline", "delta"):
        assert {"catch_rate", "false_positive_rate", "precision", "alert_rate"} <= set(
            data[side]["metrics"]
        )
    decisions = pl.read_parquet(out / "decisions.parquet")
    assert decisions.height == pl.read_parquet(scored_path).height
    assert {"action", "flagged", "decided_by", "segment", "matched"} <= set(decisions.columns)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["candidate"]["metrics"] == data["candidate"]["metrics"]
    cells = data["delta"]["swap_set"]
    assert sum(c["rows"] for c in cells) == data["candidate"]["metrics"]["rows"]


def test_simulate_table_fits_80_columns(scored_path: Path, example_strategies: Path) -> None:
    result = invoke(
        "simulate",
        example_strategies / "candidate.yaml",
        "--baseline",
        example_strategies / "baseline.yaml",
        "--data",
        scored_path,
    )
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "Catch rate" in result.stdout and "change" in result.stdout


def test_check_exit_codes(tmp_path: Path, scored_path: Path, write_strategy) -> None:
    base = write_strategy(
        "name: b\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n",
        "b.yaml",
    )
    ok = write_strategy(
        "name: ok\nactions: [review, allow]\nthresholds:\n"
        "  review: {score: 0.5}\nlabel: is_bad\nguardrails:\n"
        "  min_catch_rate: 0.05\n",
        "ok.yaml",
    )
    strict = write_strategy(
        "name: strict\nactions: [review, allow]\nthresholds:\n"
        "  review: {score: 0.999}\nlabel: is_bad\nguardrails:\n"
        "  min_catch_rate: 0.99\n  relative:\n"
        "    max_catch_rate_drop: 0.0\n",
        "strict.yaml",
    )
    passed = invoke("check", ok, "--baseline", base, "--data", scored_path)
    assert passed.exit_code == 0, passed.output
    assert "PASSED" in passed.stdout
    failed = invoke("check", strict, "--baseline", base, "--data", scored_path, "--json")
    assert failed.exit_code == 1, failed.output
    verdict = json.loads(failed.stdout)
    assert verdict["passed"] is False
    bad = {g["name"]: g for g in verdict["guardrails"] if not g["passed"]}
    assert set(bad) == {"min_catch_rate", "max_catch_rate_drop"}
    assert "pp under" in bad["min_catch_rate"]["message"]


def test_train_prints_roles_metrics_and_warnings(tmp_path: Path, history: pl.DataFrame) -> None:
    rows = history.sort("event_time").with_columns(  # many more bad rows late, a few unlabelled
        pl.when(pl.int_range(pl.len()) > 0.8 * pl.len())
        .then(pl.max_horizontal("is_bad", (pl.int_range(pl.len()) % 15 == 0).cast(pl.Int8)))
        .when(pl.int_range(pl.len()) % 1000 == 0)
        .then(None)
        .otherwise(pl.col("is_bad"))
        .alias("is_bad")
    )
    path = tmp_path / "h.parquet"
    rows.write_parquet(path)
    result = invoke(
        "train",
        path,
        "--label",
        "is_bad",
        "--time",
        "event_time",
        "--exclude",
        "attack",
        "--id",
        "seller_id",
        "--rounds",
        20,
        "--out",
        tmp_path / "d",
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Column roles" in text and "IP addresses" in text and "--id" in text
    assert "ROC AUC" in text and "Catch rate at 0.1% FPR" in text and "Calibration" in text
    assert "Dropped 25 rows with no label." in text
    assert "the regime changed" in result.stderr


def test_explain_cli_with_strategy_summary_and_masking(
    tmp_path: Path, detector, scored_path, example_strategies: Path
) -> None:
    out = tmp_path / "reasons.ndjson"
    result = invoke(
        "explain",
        detector.path,
        scored_path,
        "--strategy",
        example_strategies / "candidate.yaml",
        "--reasons",
        example_strategies / "reason_codes.yaml",
        "--only-flagged",
        "--summary",
        "--mask-ids",
        "--out",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["uncatalogued_features"] == ["country", "seller_refund_rate_30d"]
    assert data["summary"]["rows"] == data["explained"] > 0
    assert {"block", "review"} <= set(data["summary"]["reasons_by_action"])
    rows = pl.read_ndjson(out)
    assert rows.height == data["explained"]
    assert rows["buyer_id"].str.starts_with("m_").all()
    human = invoke("explain", detector.path, scored_path, "--summary", "--by", "category")
    assert human.exit_code == 0, human.output
    assert "Mean |SHAP|" in human.stdout and "Main reason by segment" in human.stdout
