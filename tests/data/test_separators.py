"""Tab-separated files by their extension (.tsv, .tab), and any one-character separator
with `riskctl --separator`: read the same as the comma-separated file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import read_table, write_table
from riskctl.data.separators import SEPARATOR_ENV

runner = CliRunner()


@pytest.fixture
def tables(tmp_path: Path, scored_path: Path) -> dict[str, Path]:
    df = pl.read_parquet(scored_path).head(2000)
    paths = {"csv": tmp_path / "t.csv", "tsv": tmp_path / "t.tsv", "tab": tmp_path / "t.tab"}
    df.write_csv(paths["csv"])
    df.write_csv(paths["tsv"], separator="\t")
    df.write_csv(paths["tab"], separator="\t")
    paths["semi"] = tmp_path / "semi.csv"
    df.write_csv(paths["semi"], separator=";")
    paths["pipe"] = tmp_path / "pipe.txt.csv"
    df.write_csv(paths["pipe"], separator="|")
    return paths


def _sweep(*args: object) -> dict:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_tsv_and_tab_read_by_extension(tables: dict[str, Path]) -> None:
    want = read_table(tables["csv"])
    for kind in ("tsv", "tab"):
        assert read_table(tables[kind]).equals(want)
    base = ["sweep", "--score", "score", "--label", "is_bad", "--json", "--data"]
    assert _sweep(*base, tables["tsv"]) == _sweep(*base, tables["csv"])


@pytest.mark.parametrize(("kind", "flag"), [("semi", ";"), ("pipe", "|"), ("tsv", "tab")])
def test_the_separator_option(tables: dict[str, Path], kind: str, flag: str) -> None:
    base = ["sweep", "--score", "score", "--label", "is_bad", "--json", "--data"]
    assert _sweep("--separator", flag, *base, tables[kind]) == _sweep(*base, tables["csv"])
    assert SEPARATOR_ENV not in os.environ or os.environ[SEPARATOR_ENV] == (
        "\t" if flag == "tab" else flag
    )
    # the next run without the option reads commas again
    assert _sweep(*base, tables["csv"])
    assert os.environ.get(SEPARATOR_ENV) is None


def test_a_tsv_output_is_tab_separated(tmp_path: Path, tables: dict[str, Path]) -> None:
    out = write_table(read_table(tables["csv"]).head(5), tmp_path / "o.tsv")
    assert out.read_text().splitlines()[0].count("\t") >= 5
    assert read_table(out).height == 5
