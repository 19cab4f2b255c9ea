"""One spec from training to decision: `train --features` keeps the spec, and scoring or
explaining raw events computes the same columns the same way (with --context as context)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import write_table
from riskctl.explain.catalogue import format_duration
from riskctl.features import add_features, load_spec
from riskctl.features.reasons import reason_texts
from riskctl.resources import examples_dir
from riskctl.synth.events import generate_events

runner = CliRunner()
SPEC = examples_dir() / "features.yaml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("one-spec")
    events = generate_events(rows=12_000, seed=9, days=40)
    cut = events["event_time"][8_000]
    paths = {
        "events": write_table(events, root / "events.parquet"),
        "old": write_table(events.filter(pl.col("event_time") < cut), root / "old.parquet"),
        "new": write_table(events.filter(pl.col("event_time") >= cut), root / "new.parquet"),
        "detector": root / "detector",
        "root": root,
    }
    result = runner.invoke(
        app,
        [
            "train", str(paths["old"]), "--features", str(SPEC), "--label", "is_bad",
            "--time", "event_time", "--exclude", "attack", "--rounds", "60",
            "--valid-fraction", "0.1", "--test-fraction", "0.1",
            "--out", str(paths["detector"]), "--json", "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return paths


def test_the_detector_keeps_the_spec_and_uses_derived_features(trained) -> None:
    manifest = json.loads((trained["detector"] / "manifest.json").read_text())
    entry = manifest["derived_features"]
    assert (trained["detector"] / entry["file"]).read_bytes() == SPEC.read_bytes()
    features = {f["name"] for f in manifest["features"]}
    assert {"accounts_per_device_7d", "ring_accounts", "seconds_since_signup"} <= features


def test_scoring_raw_events_with_history_equals_scoring_derived_columns(trained) -> None:
    root = trained["root"]
    raw_out, derived_out = root / "raw-scored.parquet", root / "derived-scored.parquet"
    args = ["score", str(trained["detector"])]
    result = runner.invoke(
        app, [*args, str(trained["new"]), "--out", str(raw_out), "--context", str(trained["old"])]
    )
    assert result.exit_code == 0, result.output
    # the same rows with their features computed once over the whole table
    whole = add_features(pl.read_parquet(trained["events"]), SPEC).frame
    derived = whole.filter(pl.col("event_time") >= pl.read_parquet(trained["new"])["event_time"][0])
    write_table(derived, root / "derived.parquet")
    result = runner.invoke(app, [*args, str(root / "derived.parquet"), "--out", str(derived_out)])
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(raw_out).equals(pl.read_parquet(derived_out))
    # without history the new rows see less context: some features, so some scores, differ
    alone = root / "alone.parquet"
    runner.invoke(app, [*args, str(trained["new"]), "--out", str(alone)])
    assert not pl.read_parquet(alone)["score"].equals(pl.read_parquet(raw_out)["score"])


def test_explanations_read_as_the_spec_unless_a_catalogue_says_otherwise(trained) -> None:
    root = trained["root"]
    out = root / "reasons.parquet"
    base = ["explain", str(trained["detector"]), str(trained["new"]), "--context"]
    result = runner.invoke(app, [*base, str(trained["old"]), "--out", str(out), "--top", "18"])
    assert result.exit_code == 0, result.output
    texts = [t for row in pl.read_parquet(out)["reason_texts"].to_list() for t in row]
    assert any(t.startswith("Device used by ") and "buyers in the last 7 days" in t for t in texts)
    assert any(t.endswith(" since signup") for t in texts)
    catalogue = root / "catalogue.yaml"
    catalogue.write_text(
        "reasons:\n  - code: R1\n    features: [accounts_per_device_7d]\n"
        "    text: 'Shared device: {accounts_per_device_7d:count}'\n"
    )
    result = runner.invoke(
        app,
        [*base, str(trained["old"]), "--out", str(out), "--top", "18", "--reasons", str(catalogue)],
    )
    assert result.exit_code == 0, result.output
    texts = [t for row in pl.read_parquet(out)["reason_texts"].to_list() for t in row]
    assert any(t.startswith("Shared device: ") for t in texts)
    assert not any(t.startswith("Device used by ") for t in texts)


def test_generated_texts() -> None:
    texts = reason_texts(load_spec(SPEC).model)
    assert texts["accounts_per_device_7d"] == (
        "Device used by {accounts_per_device_7d:count} buyers in the last 7 days"
    )
    assert (
        texts["orders_per_ip_1h"] == "{orders_per_ip_1h:count} events on this IP in the last hour"
    )
    assert texts["seconds_since_signup"] == "{seconds_since_signup:seconds} since signup"
    assert [format_duration(s) for s in (4, 1, 600, 5400, 12_600, 86_400 * 12)] == [
        "4 seconds",
        "1 second",
        "10 minutes",
        "1.5 hours",
        "3.5 hours",
        "12 days",
    ]


def test_production_history_derives_what_its_detector_needs(trained) -> None:
    """`data generate --production` with a detector trained on derived features writes raw
    events with those features and the score production used; a candidate then simulates
    on it as it is."""
    root = trained["root"]
    prod = root / "production.yaml"
    prod.write_text(
        f"name: prod\nactions: [block, allow]\ndetectors: {{score: {trained['detector']}}}\n"
        "thresholds: {block: {score: 0.5}}\nlabel: is_bad\ntime: event_time\n"
        "history: {decision: prod_action, control: in_control, propensity: p_allow}\n"
    )
    out = root / "production.parquet"
    args = ["data", "generate", "--rows", "6000", "--seed", "3", "--production", str(prod)]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out)
    assert {"signup_time", "accounts_per_device_7d", "score", "prod_action"} <= set(df.columns)
    decided = df.filter(pl.col("score") >= 0.5)["prod_action"].unique().to_list()
    assert decided == ["block"]
    result = runner.invoke(app, ["simulate", str(prod), "--data", str(out), "--json"])
    assert result.exit_code == 0, result.output


def test_production_history_with_drift_and_a_raw_events_detector_says_why(trained) -> None:
    prod = trained["root"] / "production-drift.yaml"
    prod.write_text(
        f"name: prod\nactions: [block, allow]\ndetectors: {{score: {trained['detector']}}}\n"
        "thresholds: {block: {score: 0.5}}\nlabel: is_bad\n"
    )
    out = trained["root"] / "drifted.parquet"
    args = ["data", "generate", "--rows", "3000", "--production", str(prod), "--drift", "attack"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2 and "trained with --features" in result.output
    assert not out.exists()
