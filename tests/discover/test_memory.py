"""`discover` reads the events one window at a time: the blocks equal those of the whole
table held in memory, and a memory limit below the table (but above one window) is enough."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import scan_table
from riskctl.data.memory import MEMORY_ENV, TABLE_COPIES, check_fits, table_size
from riskctl.discover.found import Found
from riskctl.discover.graph import build_graph, edge_rows, entity_kinds
from riskctl.discover.null import assess
from riskctl.discover.peel import peel_blocks
from riskctl.discover.run import (
    WINDOW_COPIES,
    Block,
    DiscoverOptions,
    discover,
    discover_frame,
    peels_per_window,
    window_blocks,
)
from riskctl.discover.windows import Window, plan_windows
from riskctl.errors import DataError
from riskctl.synth.events import generate_events
from riskctl.synth.lockstep import plant_lockstep

OPTS = DiscoverOptions(
    accounts="buyer_id", items=("seller_id", "device_id"), time="event_time", top=8
)
DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    df, _ = plant_lockstep(generate_events(60_000, seed=5, days=30), 8, seed=5)
    path = tmp_path_factory.mktemp("discover_memory") / "events.parquet"
    df.write_parquet(path)
    return path, df


def _whole_table_blocks(df: pl.DataFrame, w: Window) -> list[tuple]:
    """The oracle: the window's rows cut from the whole table in memory, peeled."""
    kinds = entity_kinds(OPTS.items)
    t = pl.col(OPTS.time)
    rows = df.filter(t.is_not_null() & (t >= w.start) & (t < w.end))
    g = build_graph(edge_rows(rows.lazy(), OPTS.accounts, kinds).collect())
    peeled = peel_blocks(
        g.ea, g.ei, g.n_acct, g.n_item, OPTS.min_accounts, peels_per_window(OPTS.top)
    )
    return [
        (g.accounts.gather(p.accounts).to_list(), g.entities[p.items].rows(), p.density, pv)
        for p, pv in assess(g.ea, g.ei, g.n_acct, g.n_item, peeled)
    ]


def _as_tuples(found: list[Found]) -> list[tuple]:
    return [(f.account_ids, f.entities.rows(), f.peeled.density, f.p_value) for f in found]


def _daily(df: pl.DataFrame) -> list[Window]:
    times = df["event_time"]
    return plan_windows(times.min(), times.max(), DAY, DAY)  # type: ignore[arg-type]


def test_each_window_read_alone_gives_the_whole_tables_blocks(events) -> None:
    path, df = events
    plan = _daily(df)
    assert len(plan) >= 30
    blocks = 0
    for w in plan:
        alone = _as_tuples(window_blocks(path, w, OPTS, str(path)))
        assert alone == _whole_table_blocks(df, w)
        blocks += len(alone)
    assert blocks > 0


def _key(b: Block) -> tuple:
    return (b.window_start, b.account_ids, b.entities, b.rows, b.p_value, b.burst_ratio, b.new)


def test_the_file_read_by_windows_equals_the_table_in_memory(events, tmp_path: Path) -> None:
    path, df = events
    csv = tmp_path / "events.csv"
    df.write_csv(csv)
    on_disk = discover(path, OPTS)
    in_memory = discover_frame(df, OPTS, "events")
    from_csv = discover(csv, OPTS)
    assert on_disk.found > 0
    assert [_key(b) for b in on_disk.blocks] == [_key(b) for b in in_memory.blocks]
    assert [_key(b) for b in on_disk.blocks] == [_key(b) for b in from_csv.blocks]
    assert on_disk.members.equals(in_memory.members)


def _limits(path: Path, window: Window) -> tuple[float, float]:
    """Bytes of the whole table in memory, and of one window's graph columns."""
    lf = scan_table(path)
    whole = table_size(lf).bytes
    t = pl.col(OPTS.time)
    one = lf.select("buyer_id", "seller_id", "device_id", "event_time").filter(
        (t >= window.start) & (t < window.end)
    )
    return whole, table_size(one).bytes


def _cli(path: Path, limit: str, window: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "riskctl", "discover", "--data", str(path)]
    command += ["--accounts", "buyer_id", "--items", "seller_id", "--items", "device_id"]
    command += ["--time", "event_time", "--window", window, "--json"]
    env = os.environ | {MEMORY_ENV: limit, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_a_limit_below_the_table_but_above_a_window_is_enough(events, monkeypatch) -> None:
    path, df = events
    plan = _daily(df)
    limit = 2 * 1024**2
    whole, window = _limits(path, Window(plan[0].start, plan[-1].end))
    busiest = max(_limits(path, w)[1] for w in plan)
    assert whole > limit > busiest * WINDOW_COPIES
    monkeypatch.setenv(MEMORY_ENV, str(limit))
    with pytest.raises(DataError):  # the whole table would not fit
        check_fits(scan_table(path), str(path), TABLE_COPIES)
    done = _cli(path, str(limit), "1d")
    assert done.returncode == 0, done.stderr
    assert '"blocks"' in done.stdout
    assert window * WINDOW_COPIES > limit
    too_long = _cli(path, str(limit), "30d")  # one window holds the whole month
    assert too_long.returncode == 2
    assert "window from" in too_long.stderr and "memory limit" in too_long.stderr
    assert len(too_long.stderr.strip().splitlines()) <= 2
