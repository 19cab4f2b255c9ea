"""A --context row that repeats a data row but holds a label the data does not have yet (or
another one) is the same event: matched on every column but the outcomes, it counts once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.features import add_features
from riskctl.resources import examples_dir
from riskctl.synth.events import generate_events

runner = CliRunner()


def _spec(folder: Path, outcomes: str) -> Path:
    """The example spec without its ring bad rate (whose label would be an outcome anyway)."""
    text = (examples_dir() / "features.yaml").read_text()
    text = text[: text.index("  - name: ring_bad_rate")]
    path = folder / f"spec-{len(outcomes)}.yaml"
    path.write_text(text + outcomes)
    return path


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("outcomes")
    events = generate_events(rows=4_000, seed=8, days=20)
    cut = events["event_time"][2_500]
    new = events.filter(pl.col("event_time") >= cut)
    # the newest rows as data: labels not known yet, or (for some) flipped since
    flipped = pl.when(pl.int_range(pl.len()) % 3 == 0).then(1 - pl.col("is_bad"))
    unlabelled = new.with_columns(flipped.otherwise(None).cast(pl.Int8).alias("is_bad"))
    return {"root": root, "events": events, "new": new, "data": unlabelled}


def test_outcomes_are_not_compared(tables) -> None:
    root, events, data = tables["root"], tables["events"], tables["data"]
    plain = add_features(events, _spec(root, "")).frame.tail(data.height)
    names = [c for c in plain.columns if c not in events.columns]
    with_outcomes = _spec(root, "outcomes: [is_bad]\n")
    got = add_features(data, with_outcomes, context=events)
    assert got.shared_rows == data.height
    assert got.frame.select(names).equals(plain.select(names))
    assert got.frame["is_bad"].equals(data["is_bad"])  # the data's own labels, unchanged
    # a detector's label is an outcome too, without the spec saying so
    by_label = add_features(data, _spec(root, ""), context=events, outcomes=("is_bad",))
    assert by_label.shared_rows == data.height
    assert by_label.frame.select(names).equals(plain.select(names))
    # the control: compared on the label, the copies count twice and the windows grow
    doubled = add_features(data, _spec(root, ""), context=events)
    assert doubled.shared_rows == 0
    assert (doubled.frame["orders_per_buyer_24h"] > plain["orders_per_buyer_24h"]).any()


@pytest.mark.parametrize("bounded", [False, True])
def test_the_command_counts_the_copies_once(tables, bounded: bool) -> None:
    root = tables["root"]
    data, history = root / "data.parquet", root / "history.parquet"
    tables["data"].write_parquet(data)
    tables["events"].write_parquet(history)
    spec = _spec(root, "outcomes: [is_bad]\n")
    out = root / f"out-{bounded}.parquet"
    args = ["features", str(spec), "--data", str(data), "--context", str(history)]
    args += ["--out", str(out)] + (["--memory-limit", "1MiB"] if bounded else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{tables['data'].height:,} context rows were in the data too" in result.output
    expected = add_features(tables["events"], spec).frame.tail(tables["data"].height)
    assert pl.read_parquet(out).drop("is_bad").equals(expected.drop("is_bad"))


def test_a_label_the_data_does_not_hold_yet_is_not_compared(tables) -> None:
    """No `outcomes:` needed when the data's label column is still empty."""
    root, events, new = tables["root"], tables["events"], tables["new"]
    data = new.with_columns(pl.lit(None, dtype=pl.Int8).alias("is_bad"))
    spec = _spec(root, "")
    plain = add_features(events, spec).frame.tail(data.height)
    names = [c for c in plain.columns if c not in events.columns]
    got = add_features(data, spec, context=events)
    assert got.shared_rows == data.height
    assert got.frame.select(names).equals(plain.select(names))
