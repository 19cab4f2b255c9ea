"""Column names XGBoost refuses (`[`, `]`, `<`) train on the cluster too, with the same
mapping one machine uses."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.detector import load_detector
from riskctl.model.features import model_names
from tests.distributed.conftest import split_parts


def test_unsafe_names_train_on_the_cluster(small_history, address, tmp_path) -> None:
    df = pl.read_parquet(small_history).rename({"amount": "amount[eur]", "ip": "ip<v4>"})
    parts = split_parts(df, tmp_path / "parts", (5_000, 5_000))
    out = tmp_path / "det"
    args = ["train", parts, "--label", "is_bad", "--time", "event_time", "--exclude", "attack"]
    args += ["--rounds", "30", "--out", out, "--scheduler", address]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    names = [f["name"] for f in manifest["features"]]
    assert "amount[eur]" in names and "amount[eur]" in manifest["metrics"]["importance_gain"]
    assert load_detector(out).booster.feature_names == model_names(names)
    scored = tmp_path / "scored.parquet"
    result = CliRunner().invoke(app, ["score", str(out), str(small_history), "--out", str(scored)])
    assert result.exit_code == 2 and "amount[eur]" in result.output  # the renamed columns
    data = tmp_path / "renamed.parquet"
    df.write_parquet(data)
    result = CliRunner().invoke(app, ["score", str(out), str(data), "--out", str(scored)])
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(scored)["score"].is_finite().all()
