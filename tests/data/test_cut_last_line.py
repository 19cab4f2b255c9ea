"""A CSV export cut off mid-row (no line break at the end, a short last line) is handled the
same way by every command: the last line is left out, with one warning; `data profile`
reads it and notes it. A short line anywhere else stays an error."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import read_table

runner = CliRunner()
SPEC = """\
time: event_time
entities: {buyer: buyer_id}
features:
  - {name: buyer_orders_7d, count: rows, per: buyer, window: 7d}
"""
STRATEGY = """\
name: cut
actions: [review, allow]
thresholds: {review: {score: 0.5}}
label: is_bad
time: event_time
guardrails: {max_review_per_day: 100000}
"""
WARNING = "is cut off mid-row"


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory, scored_path: Path) -> Path:
    root = tmp_path_factory.mktemp("cut")
    df = pl.read_parquet(scored_path).head(3000).drop("attack")
    whole = root / "whole.csv"
    df.write_csv(whole)
    text = whole.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    # cut inside the time column: the row would have had no time, and a nonsense date
    path = root / "cut.csv"
    path.write_text(text.rstrip("\n")[: -(len(last) - len(last.split(",")[0]) - 6)])
    assert not path.read_text().endswith("\n")
    return path


def _run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_reading_leaves_the_cut_line_out(cut: Path) -> None:
    assert read_table(cut).height == 2999


@pytest.mark.parametrize("command", ["features", "simulate", "check", "sweep", "score", "monitor"])
def test_every_command_leaves_it_out_with_one_warning(
    command: str, cut: Path, tmp_path: Path, detector
) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(SPEC)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY)
    args = {
        "features": ["features", spec, "--data", cut, "--out", tmp_path / "f.parquet"],
        "simulate": ["simulate", strategy, "--data", cut],
        "check": ["check", strategy, "--data", cut],
        "sweep": ["sweep", "--data", cut, "--strategy", strategy],
        "score": ["score", detector.path, cut, "--out", tmp_path / "s.parquet", "--column", "s2"],
        "monitor": ["monitor", "--current", cut, "--every", "7d", "--time", "event_time"],
    }[command]
    code, out, err = _run(*args)
    assert code in (0, 1), out + err
    assert err.count(WARNING) == 1, err
    assert f"{cut}: the last line (line 3001)" in " ".join(err.split())


def test_train_leaves_it_out(cut: Path, tmp_path: Path) -> None:
    code, out, err = _run("train", cut, "--label", "is_bad", "--time", "event_time",
                          "--rounds", 5, "--out", tmp_path / "d", "--json")  # fmt: skip
    assert code == 0, out + err
    assert err.count(WARNING) == 1


def test_profile_notes_it(cut: Path) -> None:
    code, out, err = _run("data", "profile", cut)
    assert code == 0, out + err
    assert "the last line (line 3001) is cut off mid-row" in " ".join((out + err).split())


def test_a_complete_file_has_no_warning(cut: Path) -> None:
    whole = cut.parent / "whole.csv"
    code, out, err = _run("sweep", "--data", whole, "--score", "score", "--label", "is_bad")
    assert code == 0 and WARNING not in err
