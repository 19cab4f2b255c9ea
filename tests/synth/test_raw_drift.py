"""`--drift ... --raw`: the planted attack lives in raw events, as a detector that derives its
own features reads them (the generator's derived columns stay the default)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.synth.drift import NEW_ATTACK, parse_drift, plant_drift
from riskctl.synth.events import generate_events


def test_an_attack_in_raw_events_has_fresh_signups_and_other_countries() -> None:
    events = generate_events(rows=3000, seed=3, days=20)
    drifted = plant_drift(events, [parse_drift("attack=0.2:10")], seed=3)
    assert drifted.columns == events.columns and drifted.schema == events.schema
    new = drifted.filter(pl.col("attack") == NEW_ATTACK)
    assert new.height > 100 and (new["category"] == "gift_cards").all()
    age = new["event_time"] - new["signup_time"]
    assert (age >= timedelta(0)).all() and (age < timedelta(days=3)).all()
    assert (new["home_country"] != new["country"]).all()
    start = events["event_time"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    assert (new["event_time"] >= start + timedelta(days=10)).all()


def test_raw_is_for_drift_only(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "d.parquet"
    base = ["data", "generate", "--rows", "500", "--days", "10", "--out", str(out)]
    done = runner.invoke(app, [*base, "--drift", "attack:5", "--raw"])
    assert done.exit_code == 0, done.output
    assert "signup_time" in pl.read_parquet(out).columns
    refused = runner.invoke(app, [*base[:-2], "--out", str(tmp_path / "e.parquet"), "--raw"])
    assert refused.exit_code == 2 and "--raw goes with --drift" in refused.output
    assert not (tmp_path / "e.parquet").exists()
