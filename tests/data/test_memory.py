"""The memory check: a table small on disk and large in memory is refused before it is read,
with its size; the estimate agrees with polars' own measure of the table once read; streaming
commands are not refused; the limit comes from RISKCTL_MAX_MEMORY or --max-memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.memory import (
    CURVE_COPIES,
    MEMORY_ENV,
    check_fits,
    memory_limit,
    parse_size,
    physical_memory,
    table_size,
)
from riskctl.errors import DataError, UsageError

ROOT = Path(__file__).parents[2]


def repeated(path: Path, rows: int) -> Path:
    """`rows` rows of repeated values, written by streaming: kilobytes on disk."""
    pl.LazyFrame().select(
        score=pl.repeat(0.5, rows, dtype=pl.Float64),
        is_bad=pl.repeat(0, rows, dtype=pl.Int8),
        event_time=pl.repeat(pl.datetime(2026, 1, 1), rows),
    ).sink_parquet(path)
    return path


def test_the_estimate_matches_the_table_once_read(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "a": pl.int_range(0, 20_000, eager=True),
            "b": [f"order-{i:06d}" for i in range(20_000)],
            "c": pl.Series([0.5, None] * 10_000),
            "d": [True, False] * 10_000,
            "e": pl.Series(["x", "y"] * 10_000, dtype=pl.Categorical),
        }
    )
    df.write_parquet(tmp_path / "t.parquet")
    size = table_size(pl.scan_parquet(tmp_path / "t.parquet"))
    assert size.rows == 20_000
    actual = df.estimated_size()
    assert 0.7 * actual <= size.bytes <= 1.6 * actual, (size, actual)


def test_small_on_disk_large_in_memory_is_refused_with_its_size(
    tmp_path: Path, monkeypatch
) -> None:
    path = repeated(tmp_path / "r.parquet", 2_000_000)
    assert path.stat().st_size < 200_000
    monkeypatch.setenv(MEMORY_ENV, "64MiB")
    lf = pl.scan_parquet(path)
    with pytest.raises(DataError) as caught:
        check_fits(lf, str(path), CURVE_COPIES)
    text = str(caught.value)
    assert "2,000,000 rows x 17 bytes" in text and "over the memory limit of 64.0 MiB" in text
    monkeypatch.setenv(MEMORY_ENV, "2GiB")
    check_fits(lf, str(path), CURVE_COPIES)  # fits: no error


def test_the_limit(monkeypatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert 0 < memory_limit() < physical_memory()
    monkeypatch.setenv(MEMORY_ENV, "3GiB")
    assert memory_limit() == 3 * 1024**3
    monkeypatch.setenv(MEMORY_ENV, "three")
    with pytest.raises(UsageError, match="RISKCTL_MAX_MEMORY"):
        memory_limit()
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)


def test_streaming_commands_are_not_refused(tmp_path: Path, monkeypatch) -> None:
    """simulate streams: under a limit that stops sweep, it runs and counts every row."""
    path = repeated(tmp_path / "r.parquet", 2_000_000)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [block, review, allow]\nthresholds:\n  review: {score: 0.4}\n"
        "label: is_bad\n"
    )
    monkeypatch.setenv(MEMORY_ENV, "64MiB")
    runner = CliRunner()
    done = runner.invoke(app, ["simulate", str(strategy), "--data", str(path), "--json"])
    assert done.exit_code == 0, done.output
    assert "2000000" in json.dumps(json.loads(done.output))
    refused = runner.invoke(app, ["sweep", "--data", str(path), "--score", "score",
                                  "--label", "is_bad"])  # fmt: skip
    assert refused.exit_code == 2 and "memory limit" in refused.output
    raised = runner.invoke(app, ["--max-memory", "4GiB", "sweep", "--data", str(path),
                                 "--score", "score", "--label", "is_bad", "--json"])  # fmt: skip
    assert raised.exit_code == 0, raised.output


PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.write(done.stderr.decode())
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--data", "{data}", "--score", "score", "--label", "is_bad"],
        ["data", "profile", "{data}"],
        ["monitor", "--reference", "{data}", "--current", "{data}"],
        ["train", "{data}", "--label", "is_bad", "--out", "{out}"],
    ],
    ids=["sweep", "profile", "monitor", "train"],
)
def test_refused_before_it_allocates(tmp_path: Path, command: list[str]) -> None:
    """20M rows (about 340 MB in memory, 200 KB on disk) under a 256 MiB limit: the command
    stops, and its peak memory stays far below the table's size."""
    data = repeated(tmp_path / "r.parquet", 20_000_000)
    args = [a.format(data=data, out=tmp_path / "det") for a in command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), MEMORY_ENV: "256MiB"}
    done = subprocess.run(
        [sys.executable, "-c", PEAK, sys.executable, "-m", "riskctl", *args],
        capture_output=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    *message, last = done.stdout.decode().strip().splitlines()
    code, peak_kib = map(int, last.split())
    assert code == 2 and len(message) == 1, done.stdout.decode()
    assert "20,000,000 rows" in message[0] and "memory limit" in message[0]
    assert peak_kib * 1024 < 256 * 1024**2, peak_kib
    assert not (tmp_path / "det").exists()
