"""A CSV column's type comes from every row: whole numbers for the first 10,000 rows and then
decimals is a column of floats for every command (sweep, train, profile, simulate, tune),
equal value for value to Python's own reading of the file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import scan_table

STRATEGY = """name: s
actions: [block, review, allow]
thresholds:
  review: {score: 0.5}
label: is_bad
"""


@pytest.fixture(scope="module")
def late_floats(tmp_path_factory: pytest.TempPathFactory, history_path: Path) -> Path:
    """The history as CSV with `amount` written as whole numbers in the first 10,000 rows
    and with decimals after, and a `score` column likewise."""
    df = pl.read_parquet(history_path).head(14_000)
    first = pl.int_range(0, df.height) < 10_000
    df = df.with_columns(
        amount=pl.when(first).then(pl.col("amount").round(0).cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("amount").round(2).cast(pl.String)),
        score=pl.when(first).then((pl.col("is_bad") * 1).cast(pl.String))
        .otherwise(pl.lit("0.75")),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("csv") / "late_floats.csv"
    df.write_csv(path)
    return path


def test_types_come_from_every_row(late_floats: Path) -> None:
    table = scan_table(late_floats).collect()
    assert table.schema["amount"] == pl.Float64 and table.schema["score"] == pl.Float64
    with open(late_floats, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert table["amount"].to_list() == [float(r["amount"]) for r in rows]
    assert table["score"].to_list() == [float(r["score"]) for r in rows]


def test_whole_numbers_stay_whole(tmp_path: Path) -> None:
    path = tmp_path / "ints.csv"
    path.write_text("n,m\n" + "".join(f"{i},{i}\n" for i in range(12_000)) + "12000,\n")
    table = scan_table(path).collect()
    assert table.schema["n"] == pl.Int64 and table.schema["m"] == pl.Int64
    assert table["m"].null_count() == 1


def test_a_column_empty_in_the_first_rows_gets_its_values(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("a,b\n" + "1,\n" * 11_000 + "2,3.5\n")
    table = scan_table(path).collect()
    assert table.schema["b"] == pl.Float64 and table["b"].drop_nulls().to_list() == [3.5]


@pytest.mark.parametrize("command", ["sweep", "profile", "simulate", "tune", "train"])
def test_every_command_reads_them_as_floats(
    command: str, late_floats: Path, tmp_path: Path
) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY)
    args = {
        "sweep": ["sweep", "--data", str(late_floats), "--score", "score", "--label", "is_bad",
                  "--amount", "amount", "--json"],
        "profile": ["data", "profile", str(late_floats), "--json"],
        "simulate": ["simulate", str(strategy), "--data", str(late_floats), "--json"],
        "tune": ["tune", str(strategy), "--data", str(late_floats), "--max-fpr", "0.2",
                 "--out", str(tmp_path / "t.yaml"), "--json"],
        "train": ["train", str(late_floats), "--label", "is_bad", "--time", "event_time",
                  "--exclude", "attack", "--exclude", "score", "--out", str(tmp_path / "det"),
                  "--json"],
    }[command]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code in (0, 1), done.output  # 1: a target not met, never an error
    if command == "profile":
        columns = {c["name"]: c["dtype"] for c in json.loads(done.output)["columns"]}
        assert columns["amount"] == "Float64"
