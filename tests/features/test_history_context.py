"""--context as context: rows it shares with the data count once, and a ring's label only the
history holds lets new, unlabelled rows be derived; both ways, in memory and bounded."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import write_table
from riskctl.features import add_features
from riskctl.resources import examples_dir
from riskctl.synth.events import generate_events

runner = CliRunner()
SPEC = examples_dir() / "features.yaml"


def spy_on_bounded(monkeypatch) -> list[int]:
    import riskctl.features.run as run

    calls: list[int] = []
    real = run.run_bounded
    monkeypatch.setattr(run, "run_bounded", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("context")
    events = generate_events(rows=6_000, seed=5, days=30)
    cut = events["event_time"][4_000]
    new = events.filter(pl.col("event_time") >= cut)
    return {
        "root": root,
        "whole": write_table(events, root / "whole.parquet"),
        # the full export as history, its newest slice as data: they overlap
        "history": write_table(events, root / "history.parquet"),
        "new": write_table(new, root / "new.parquet"),
        "new_unlabelled": write_table(new.drop("is_bad", "attack"), root / "unlabelled.parquet"),
    }


@pytest.mark.parametrize("bounded", [False, True])
def test_overlapping_history_counts_shared_rows_once(parts, bounded: bool, monkeypatch) -> None:
    calls = spy_on_bounded(monkeypatch)
    out = parts["root"] / f"overlap-{bounded}.parquet"
    args = ["features", str(SPEC), "--data", str(parts["new"]), "--context", str(parts["history"])]
    args += ["--out", str(out), "--json"] + (["--memory-limit", "1MiB"] if bounded else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    new = pl.read_parquet(parts["new"])
    assert f'"shared_rows": {new.height}' in result.output
    whole = add_features(pl.read_parquet(parts["whole"]), SPEC).frame
    expected = whole.tail(new.height)
    assert pl.read_parquet(out).equals(expected)
    assert calls == ([1] if bounded else [])


@pytest.mark.parametrize("bounded", [False, True])
def test_new_rows_without_labels_read_the_historys_labels(
    parts, bounded: bool, monkeypatch
) -> None:
    calls = spy_on_bounded(monkeypatch)
    out = parts["root"] / f"unlabelled-{bounded}.parquet"
    data, history = str(parts["new_unlabelled"]), str(parts["root"] / "old.parquet")
    old = pl.read_parquet(parts["whole"]).head(pl.read_parquet(parts["whole"]).height - 2_000)
    write_table(old, Path(history))
    args = ["features", str(SPEC), "--data", data, "--context", history, "--out", str(out)]
    args += ["--memory-limit", "1MiB"] if bounded else []
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    got = pl.read_parquet(out)
    assert "is_bad" not in got.columns
    labelled = add_features(
        pl.read_parquet(parts["new"]), SPEC, context=pl.read_parquet(history)
    ).frame
    assert got.equals(labelled.drop("is_bad", "attack"))
    assert calls == ([1] if bounded else [])
