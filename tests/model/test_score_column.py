"""`score --column NAME` writes the score under another name; `--replace` re-scores a
scored table; without either, a table that has the column is refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.detector import Detector

runner = CliRunner()


def _score(detector: Detector, data: Path, out: Path, *extra: str):
    args = ["score", str(detector.path), str(data), "--out", str(out), "--keep-all", *extra]
    return runner.invoke(app, args)


def test_rescoring_under_another_name_and_in_place(
    tmp_path: Path, detector: Detector, scored_path: Path
) -> None:
    before = scored_path.read_bytes()
    old = pl.read_parquet(scored_path)
    refused = _score(detector, scored_path, tmp_path / "a.parquet")
    assert (
        refused.exit_code == 2
        and "--column NAME" in refused.output
        and "--replace" in refused.output
    )
    assert not (tmp_path / "a.parquet").exists()

    named = _score(detector, scored_path, tmp_path / "b.parquet", "--column", "score_v2")
    assert named.exit_code == 0, named.output
    b = pl.read_parquet(tmp_path / "b.parquet")
    assert b.columns == [*old.columns, "score_v2"]
    assert b["score"].to_list() == old["score"].to_list()  # the old score is carried as is
    assert b["score_v2"].to_list() == pytest.approx(old["score"].to_list(), abs=1e-6)

    replaced = _score(detector, scored_path, tmp_path / "c.parquet", "--replace")
    assert replaced.exit_code == 0, replaced.output
    c = pl.read_parquet(tmp_path / "c.parquet")
    assert sorted(c.columns) == sorted(old.columns) and c.columns.count("score") == 1
    assert c["score"].to_list() == pytest.approx(old["score"].to_list(), abs=1e-6)
    assert scored_path.read_bytes() == before


def test_a_replaced_score_is_the_new_detectors_not_the_old_value(
    tmp_path: Path, detector: Detector, history_path: Path
) -> None:
    fake = tmp_path / "fake.parquet"
    pl.read_parquet(history_path).head(500).with_columns(pl.lit(7.0).alias("risk")).write_parquet(
        fake
    )
    result = _score(detector, fake, tmp_path / "out.parquet", "--column", "risk", "--replace")
    assert result.exit_code == 0, result.output
    risk = pl.read_parquet(tmp_path / "out.parquet")["risk"]
    assert risk.is_between(0.0, 1.0).all() and risk.n_unique() > 10


def test_an_empty_column_name_is_refused(
    tmp_path: Path, detector: Detector, history_path: Path
) -> None:
    result = _score(detector, history_path, tmp_path / "out.parquet", "--column", " ")
    assert result.exit_code == 2 and "needs a name" in result.output
    assert not (tmp_path / "out.parquet").exists()
