"""Parts of a dataset must agree on time zones: a time-zone-aware part beside a naive one (or
two zones) would move rows to another day, so the cluster refuses it, naming both parts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.distributed.schemas import check_time_zones, kind
from riskctl.errors import DataError
from tests.distributed.conftest import split_parts

runner = CliRunner()


def _zoned(source: Path, root: Path, zones: tuple[str | None, str | None]) -> Path:
    """`source` in two parts: the first with times in zones[0], the second in zones[1]
    (None: naive). The instants are the same either way."""
    parts = split_parts(pl.read_parquet(source).head(6_000), root, (3_000, 3_000))
    for i, zone in enumerate(zones):
        if zone is None:
            continue
        path = parts / f"day={i + 1}" / "part-0.parquet"
        frame = pl.read_parquet(path)
        times = pl.col("event_time").dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
        frame.with_columns(times).write_parquet(path)
    return parts


def test_time_kinds_carry_the_zone() -> None:
    assert kind(pl.Datetime("us")) == kind(pl.Datetime("ms")) == kind(pl.Date())
    assert kind(pl.Datetime("us", "UTC")) == kind(pl.Datetime("ns", "UTC"))
    assert kind(pl.Datetime("us", "UTC")) != kind(pl.Datetime("us"))
    assert kind(pl.Datetime("us", "UTC")) != kind(pl.Datetime("us", "Asia/Tokyo"))


@pytest.mark.parametrize("zones", [(None, "UTC"), ("UTC", None), ("UTC", "Asia/Tokyo")], ids=str)
def test_check_time_zones_names_both_parts(small_scored, tmp_path, zones) -> None:
    parts = _zoned(small_scored, tmp_path / "parts", zones)
    first, second = (parts / f"day={i}" / "part-0.parquet" for i in (1, 2))
    with pytest.raises(DataError) as err:
        check_time_zones([first, second])
    message = str(err.value)
    assert message.startswith(f"{second}: column 'event_time'") and f"in {first}" in message
    assert ("without a time zone" in message) == (None in zones)
    for zone in filter(None, zones):
        assert f"time zone {zone}" in message


def test_parts_in_one_zone_pass(small_scored, tmp_path) -> None:
    parts = _zoned(small_scored, tmp_path / "parts", ("Asia/Tokyo", "Asia/Tokyo"))
    check_time_zones(sorted(parts.rglob("*.parquet")))


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("command", ["simulate", "train", "features"])
def test_the_cluster_refuses_parts_that_mix_zones(
    command, small_scored, address, tmp_path, example_strategies
):
    parts = _zoned(small_scored, tmp_path / "parts", (None, "UTC"))
    spec = tmp_path / "f.yaml"
    spec.write_text(
        "time: event_time\nentities: {buyer: buyer_id}\n"
        "features:\n  - {name: n, count: rows, per: buyer, window: 1d}\n"
    )
    out = tmp_path / "out"
    args = {
        "simulate": ["simulate", example_strategies / "candidate.yaml", "--data", parts]
        + ["--time", "event_time", "--by", "segment"],
        "train": ["train", parts, "--label", "is_bad", "--time", "event_time", "--out", out]
        + ["--exclude", "attack", "--exclude", "score"],
        "features": ["features", spec, "--data", parts, "--out", out],
    }[command]
    result = runner.invoke(app, [str(a) for a in [*args, "--scheduler", address]])
    assert result.exit_code == 2, result.output
    line = _one_line(result)
    second = parts.resolve() / "day=2" / "part-0.parquet"
    assert f"{second}: column 'event_time'" in line and "day=1" in line, line
    assert "without a time zone" in line and "time zone UTC" in line
    assert not out.exists()
