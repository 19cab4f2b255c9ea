"""`riskctl discover` on the command line: the table, --json, --out (one row per block,
account and item), --report, --strategy's share stopped and the draft rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.sqlsafe import sql_expr
from riskctl.synth.events import generate_events
from riskctl.synth.lockstep import plant_lockstep

runner = CliRunner()
BASE = ["discover", "--accounts", "buyer_id", "--items", "seller_id", "--time", "event_time"]
STRATEGY = """name: s
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.6}
label: is_bad
time: event_time
"""


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df, _ = plant_lockstep(generate_events(20_000, seed=4, days=8), 4, seed=4)
    score = np.random.default_rng(4).random(df.height)
    path = tmp_path_factory.mktemp("discover_cli") / "events.parquet"
    df.with_columns(pl.Series("score", score)).write_parquet(path)
    return path


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "160"})


def test_table_json_out_and_report(events: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "blocks.parquet", tmp_path / "blocks.html"
    result = invoke(*BASE, "--data", events, "--label", "is_bad", "--out", out, "--report", report)
    assert result.exit_code == 0, result.output
    assert "draft rule (review, shadow)" in result.output
    as_json = invoke(*BASE, "--data", events, "--label", "is_bad", "--json", "--top", "5")
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    blocks = doc["blocks"]
    assert len(blocks) == 5 and blocks[0]["block"] == 1
    assert blocks[0]["bad_rate"] > 0.5 > doc["base_rate"]
    assert blocks[0]["draft"]["mode"] == "shadow"
    members = pl.read_parquet(out)
    assert members.columns == ["block", "window_start", "account", "kind", "item", "rows"]
    assert members.select("block", "account", "kind", "item").is_unique().all()
    first = members.filter(pl.col("block") == 1)
    assert first["account"].n_unique() == blocks[0]["accounts"]
    assert first["item"].n_unique() == blocks[0]["items"]
    assert first["rows"].sum() == blocks[0]["rows"]
    html = report.read_text()
    assert 'data-block="1"' in html and "random sample, same size" in html


def test_share_stopped_and_the_draft_rule(events: Path, tmp_path: Path) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY)
    result = invoke(*BASE, "--data", events, "--strategy", strategy, "--json", "--top", "3")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    df = pl.read_parquet(events)
    for b in doc["blocks"]:
        start = pl.lit(b["window_start"]).str.to_datetime()
        end = pl.lit(b["window_end"]).str.to_datetime()
        rows = df.filter(
            (pl.col("event_time") >= start)
            & (pl.col("event_time") < end)
            & pl.col("buyer_id").is_in(b["account_ids"])
            & pl.col("seller_id").is_in([v for _, v in b["entities"]])
        )
        assert rows.height == b["rows"]
        assert b["share_stopped"] == pytest.approx((rows["score"] >= 0.6).mean())
        assert b["draft"]["action"] == "block"
        # the draft rule is a valid condition matching exactly the block's entities
        hit = df.filter(sql_expr(b["draft_rule"], None))
        assert set(hit["seller_id"]) == {v for _, v in b["entities"]}


def test_plant_blocks_switch(tmp_path: Path) -> None:
    out = tmp_path / "planted.parquet"
    result = invoke(
        "data", "generate", "--rows", 5000, "--days", 5, "--plant-blocks", 3, "--out", out
    )
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out)
    planted = df.filter(pl.col("attack") == "lockstep")
    assert planted.height > 0 and df.height == 5000 + planted.height
    assert planted["buyer_id"].n_unique() >= 30
    assert not set(planted["buyer_id"]) & set(df.filter(pl.col("attack") != "lockstep")["buyer_id"])
    refused = invoke(
        "data", "generate", "--derived", "--plant-blocks", 3, "--out", tmp_path / "x.parquet"
    )
    assert refused.exit_code == 2 and "--plant-blocks" in refused.output
