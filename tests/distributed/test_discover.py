"""`discover --scheduler`: the windows are peeled on the cluster's workers, and the result
(table, JSON, members) is the same as on one machine."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.discover.run import DiscoverOptions, discover
from riskctl.distributed.cluster import ClusterOptions
from riskctl.distributed.discover import discover_on_cluster
from riskctl.synth.events import generate_events
from riskctl.synth.lockstep import plant_lockstep

runner = CliRunner()


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df, _ = plant_lockstep(generate_events(30_000, seed=3, days=8), 6, seed=3)
    path = tmp_path_factory.mktemp("discover_cluster") / "events.parquet"
    df.write_parquet(path)
    return path


def _run(*args: object) -> dict:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("every", ["1d", "12h"])
def test_discover_on_the_cluster_equals_one_machine(events, address, tmp_path, every) -> None:
    common = ["discover", "--data", events, "--accounts", "buyer_id", "--items", "seller_id"]
    common += ["--items", "device_id", "--time", "event_time", "--every", every]
    common += ["--label", "is_bad", "--json"]
    here = _run(*common, "--out", tmp_path / "here.parquet")
    there = _run(*common, "--out", tmp_path / "there.parquet", "--scheduler", address)
    assert here["blocks"], "the planted blocks are found"
    assert here == there
    assert pl.read_parquet(tmp_path / "here.parquet").equals(
        pl.read_parquet(tmp_path / "there.parquet")
    )


def test_every_window_is_a_task_and_pictures_agree(events, address) -> None:
    opts = DiscoverOptions(accounts="buyer_id", items=("seller_id",), time="event_time", top=5)
    seen: list[tuple[int, int]] = []
    there = discover_on_cluster(
        events, opts, ClusterOptions(address), lambda d, t: seen.append((d, t))
    )
    here = discover(events, opts)
    assert seen and seen[-1] == (here.windows, here.windows)
    assert here.found == there.found > 0
    assert [b.picture for b in here.blocks] == [b.picture for b in there.blocks]
    assert [b.account_ids for b in here.blocks] == [b.account_ids for b in there.blocks]
