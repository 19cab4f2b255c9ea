"""A time column of dates with no time of day (a Parquet Date, or a CSV column like
2024-03-01) works in every command that reads the time."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.synth.generate import generate_history

runner = CliRunner()
SPEC = """\
time: event_time
entities: {buyer: buyer_id, device: device_id}
features:
  - {name: buyer_orders_7d, count: rows, per: buyer, window: 7d}
  - {name: days_since_device_first_seen, since_first: days, per: device}
"""
STRATEGY = """\
name: dated
actions: [block, review, allow]
thresholds: {block: {score: 0.9}, review: {score: 0.4}}
label: is_bad
time: event_time
amount: amount
guardrails: {max_review_per_day: 1000}
"""


def _ok(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output  # 1: a guardrail or limit, not a crash
    assert "internal error" not in result.output and "Traceback" not in result.output
    return result.stdout


@pytest.fixture(scope="module", params=["parquet", "csv"])
def dated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"dated-{request.param}")
    frame = generate_history(rows=6_000, seed=3).drop("attack")
    frame = frame.with_columns(pl.col("event_time").dt.date())
    path = root / f"orders.{request.param}"
    if request.param == "csv":
        frame.write_csv(path)
        assert path.read_text().splitlines()[1].split(",")[1].count(":") == 0  # a bare date
    else:
        frame.write_parquet(path)
        assert frame.schema["event_time"] == pl.Date
    return path


def test_train_score_simulate_monitor_on_dates(dated: Path) -> None:
    root = dated.parent
    det = root / "detector"
    _ok("train", dated, "--label", "is_bad", "--time", "event_time", "--rounds", 20,
        "--out", det, "--quiet")  # fmt: skip
    manifest = json.loads((det / "manifest.json").read_text())
    periods = (
        [p["period"] for p in manifest["metrics"]["periods"]]
        if "periods" in (manifest.get("metrics") or {})
        else []
    )
    assert all(p is None or len(p) == 10 for p in periods)  # 2026-06-01: a day
    scored = root / "scored.parquet"
    _ok("score", det, dated, "--out", scored, "--keep-all", "--quiet")
    strategy = root / "dated.yaml"
    strategy.write_text(STRATEGY)
    out = json.loads(_ok("simulate", strategy, "--data", scored, "--json"))
    assert out  # decided and measured
    _ok("check", strategy, "--data", scored)
    _ok("sweep", "--data", scored, "--strategy", strategy)
    monitor = json.loads(
        _ok(
            "monitor",
            "--current",
            dated,
            "--detector",
            det,
            "--every",
            "7d",
            "--sample",
            0,
            "--rows",
            "all",  # the detector's own training rows: their drift, every row counted
            "--json",
        )  # fmt: skip
    )
    assert len(monitor["series"]) >= 4
    assert monitor["series"][0]["start"].endswith("T00:00:00")


def test_features_on_dates(dated: Path) -> None:
    spec = dated.parent / "features.yaml"
    spec.write_text(SPEC)
    out = dated.parent / "featured.parquet"
    _ok("features", spec, "--data", dated, "--out", out)
    frame = pl.read_parquet(out)
    assert frame["days_since_device_first_seen"].min() == 0
    assert frame["buyer_orders_7d"].min() == 1
