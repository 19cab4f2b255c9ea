"""Slash dates in CSV exports read month first, the same way whatever other rows the file
holds; ISO times with offsets read as UTC instants."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import read_table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/2/2026 00:00", datetime(2026, 1, 2)),
        ("01/02/26 00:00", datetime(2026, 1, 2)),
        ("3/4/26", datetime(2026, 3, 4)),
        ("2/24/15 22:55", datetime(2015, 2, 24, 22, 55)),
        ("2026-01-02 00:00:00", datetime(2026, 1, 2)),
    ],
)
def test_slash_dates_are_month_first(tmp_path: Path, text: str, expected: datetime) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"id,t\n1,{text}\n2,{text}\n")
    assert read_table(path)["t"].to_list() == [expected, expected]


def test_a_later_day_above_12_does_not_change_earlier_rows(tmp_path: Path) -> None:
    small, mixed = tmp_path / "small.csv", tmp_path / "mixed.csv"
    small.write_text("id,t\n1,1/2/2026 00:00\n")
    mixed.write_text("id,t\n1,1/2/2026 00:00\n2,12/31/2026 00:00\n")
    assert read_table(small)["t"][0] == read_table(mixed)["t"][0] == datetime(2026, 1, 2)


def test_iso_offsets_read_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,t\n1,2026-01-01T03:00:00+02:00\n2,2026-01-01T00:30:00+00:00\n")
    t = read_table(path)["t"]
    assert t.dtype == pl.Datetime("us", "UTC")
    assert t.to_list() == [
        datetime(2026, 1, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
    ]
