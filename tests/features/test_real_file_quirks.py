"""Real files: SQL ratios that come out as decimals, spreadsheet-mangled lookup tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.features import add_features
from riskctl.features.lookups import SHOWN_ROWS

runner = CliRunner()
EVENTS = """\
order_id,purchase_time,user_id,device_id,ip_address,amount,items
o1,2026-05-01 10:00:00,u1,d1,1.0.0.7,20.5,3
o2,2026-05-01 10:30:00,u2,d1,1.0.0.9,12.0,4
o3,2026-05-02 11:00:00,u3,d2,2.0.0.1,99.0,0
"""


def _spec(tmp_path: Path, features: str, lookups: str = "") -> Path:
    spec = tmp_path / "features.yaml"
    spec.write_text(
        "time: purchase_time\nentities: {account: user_id, device: device_id}\n"
        f"{lookups}features:\n{features}\n"
    )
    (tmp_path / "events.csv").write_text(EVENTS)
    return spec


def test_a_decimal_ratio_becomes_a_float(tmp_path: Path) -> None:
    spec = _spec(tmp_path, '  - {name: per_item, expr: "amount * 1.0 / items"}\n'
                 '  - {name: cents, expr: "CAST(amount AS DECIMAL(10, 2)) * 100"}')  # fmt: skip
    frame = pl.read_csv(tmp_path / "events.csv", try_parse_dates=True)
    out = add_features(frame, spec).frame
    assert out.schema["per_item"] == pl.Float64
    assert out.schema["cents"] == pl.Float64
    assert out["per_item"].to_list()[:2] == [20.5 / 3, 3.0]
    assert out["cents"].to_list() == [2050.0, 1200.0, 9900.0]


def _mangled(tmp_path: Path, bad: int) -> Path:
    lines = ["lo,hi,country"]
    for i in range(80):
        lo, hi = i * 1000, i * 1000 + 999
        lines.append(f"{lo},{'1.02E+09x' if i % 2 and i < 2 * bad else hi},C{i}")
    (tmp_path / "ranges.csv").write_text("\n".join(lines) + "\n")
    lookup = (
        "lookups:\n  - {name: zone, table: ranges.csv, key: amount, range: [lo, hi], "
        "value: country}\n"
    )
    return _spec(tmp_path, "  - {name: n, count: rows, per: device}", lookup)


def test_every_bad_lookup_row_is_named_in_one_line(tmp_path: Path) -> None:
    spec = _mangled(tmp_path, bad=8)
    args = ["features", str(spec), "--data", str(tmp_path / "events.csv"), "--out"]
    result = runner.invoke(app, [*args, str(tmp_path / "out.csv")])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert flat.count("error:") == 1 and len(result.output.strip().splitlines()) == 1
    assert "8 places" in flat
    for i in range(1, 16, 2):  # rows 2, 4, ... 16 of the table: lines 3, 5, ... 17
        assert f"row {i + 1} (line {i + 2})" in flat, flat


def test_many_bad_lookup_rows_are_capped_with_their_count(tmp_path: Path) -> None:
    spec = _mangled(tmp_path, bad=30)
    args = ["features", str(spec), "--data", str(tmp_path / "events.csv"), "--out"]
    result = runner.invoke(app, [*args, str(tmp_path / "out.csv")])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"30 places (the first {SHOWN_ROWS} shown)" in flat  # rows 2, 4, ... 60
    assert flat.count("row ") == SHOWN_ROWS
