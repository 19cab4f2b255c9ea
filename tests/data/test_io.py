from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import atomic_path, read_table, scan_table, write_table
from riskctl.errors import DataError


def test_missing_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        scan_table(tmp_path / "nope.parquet")
    assert str(err.value).startswith(f"{tmp_path / 'nope.parquet'}: no such file")
    assert "riskctl data generate" in str(err.value)


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match="unknown table format '.xlsx'"):
        scan_table(path)


def test_csv_with_bom_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffa,b\n1,x\n2,y\n".encode())
    assert read_table(path).columns == ["a", "b"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".ndjson", ".json"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    df = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = write_table(df, tmp_path / f"t{suffix}")
    assert read_table(path).equals(df)


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_list_columns_are_joined_in_csv(tmp_path: Path) -> None:
    df = pl.DataFrame({"codes": [["R1", "M_AMOUNT"], []]})
    path = write_table(df, tmp_path / "r.csv")
    assert path.read_text().splitlines() == ["codes", "R1; M_AMOUNT", '""']


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("a,b\n1,2\n3,4\n\n", [(1, 2), (3, 4)]),  # a trailing empty line
        ("a,b\n1,2\n\n\n3,4\n\n\n", [(1, 2), (3, 4)]),  # several, in the middle too
        ("a,b\r\n1,2\r\n\r\n3,4\r\n", [(1, 2), (3, 4)]),  # Windows line ends
        ("a,b\n1,2\n,\n3,4\n", [(1, 2), (None, None), (3, 4)]),  # empty fields: a real row
        ('a,b\n"x\n\ny",2\n\n3,4\n', [("x\n\ny", 2), ("3", 4)]),  # a blank line in quotes stays
    ],
)
def test_blank_csv_lines_are_no_rows(tmp_path: Path, text: str, rows: list[tuple]) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    assert read_table(path).rows() == rows


def test_a_csv_column_with_no_value_is_missing_numbers(tmp_path: Path) -> None:
    """As in a Parquet file of the same rows (last night's orders, none labelled yet)."""
    path = tmp_path / "d.csv"
    path.write_text("score,is_bad,note\n0.9,,\n0.1,,\n")
    table = read_table(path)
    assert table.schema["is_bad"] == pl.Float64 and table["is_bad"].null_count() == 2
    assert table.schema["note"] == pl.Float64


def test_csv_and_ndjson_types_come_from_every_row(tmp_path: Path) -> None:
    """Values that start after the rows polars samples still decide the column's type."""
    n = 10_050
    late = ["" if i < 10_010 else str(i % 7 + 0.5) for i in range(n)]
    csv = tmp_path / "d.csv"
    csv.write_text("score,x\n" + "".join(f"0.5,{v}\n" for v in late))
    table = read_table(csv)
    assert table.schema["x"] == pl.Float64 and table["x"].drop_nulls().len() == 40
    ndjson = tmp_path / "d.ndjson"
    lines = [
        '{"score": 0.5}' if i < 300 else f'{{"score": 0.5, "x": {i % 3}.5}}' for i in range(400)
    ]
    ndjson.write_text("\n".join(lines) + "\n")
    table = read_table(ndjson)
    assert table.schema["x"] == pl.Float64 and table["x"].drop_nulls().len() == 100


def test_nan_and_infinity_spelled_otherwise_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y,code\n2,1,NA\nnan,-Infinity,7\n3.5,INF,x\n-NaN,+inf,\n")
    table = read_table(path)
    assert table.schema["x"] == pl.Float64 and table.schema["y"] == pl.Float64
    assert table["x"].is_nan().to_list() == [False, True, False, True]
    assert table["y"].to_list() == [1.0, float("-inf"), float("inf"), float("inf")]
    assert table.schema["code"] == pl.String  # `NA` may be a value (Namibia): text stays text
