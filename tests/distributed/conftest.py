"""A local Dask cluster of two worker processes (one thread each), started by the tests, and
a scored history split into uneven Parquet parts in hive-style folders."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from riskctl.data.io import write_table

distributed = pytest.importorskip("distributed")

SIZES = (9_000, 13_000, 8_000)  # the conftest history has 30,000 rows (training)
SMALL = (3_000, 4_500, 2_500)  # its first 10,000 rows: every other command


def split_parts(df: pl.DataFrame, root: Path, sizes: tuple[int, ...] = SIZES) -> Path:
    """`df` as parts in `root/day=N/part-0.parquet`, in order."""
    start = 0
    for i, size in enumerate(sizes):
        folder = root / f"day={i + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        write_table(df[start : start + size], folder / "part-0.parquet")
        start += size
    assert start == df.height
    return root


def local_cluster() -> Any:
    return distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=":0",
        silence_logs=50,
    )


@pytest.fixture(scope="session")
def cluster() -> Any:
    with local_cluster() as c:
        yield c


@pytest.fixture(scope="session")
def address(cluster: Any) -> str:
    return cluster.scheduler_address


@pytest.fixture(scope="session")
def small_scored(workdir: Path, scored_path: Path) -> Path:
    """The scored history's first 10,000 rows, as one file."""
    path = workdir / "small_scored.parquet"
    pl.read_parquet(scored_path).head(sum(SMALL)).write_parquet(path)
    return path


@pytest.fixture(scope="session")
def scored_parts(workdir: Path, small_scored: Path) -> Path:
    return split_parts(pl.read_parquet(small_scored), workdir / "scored_parts", SMALL)


@pytest.fixture(scope="session")
def small_history(workdir: Path, history: pl.DataFrame) -> Path:
    path = workdir / "small_history.parquet"
    history.head(sum(SMALL)).write_parquet(path)
    return path


@pytest.fixture(scope="session")
def small_history_parts(workdir: Path, small_history: Path) -> Path:
    return split_parts(pl.read_parquet(small_history), workdir / "small_history_parts", SMALL)


@pytest.fixture(scope="session")
def history_parts(workdir: Path, history_path: Path) -> Path:
    return split_parts(pl.read_parquet(history_path), workdir / "history_parts")


MONEY = ("amount", "cost")


def assert_same(one: Any, two: Any, path: str = "") -> None:
    """Equal, exactly; money sums (whose float rounding depends on the order of addition)
    to 1e-9 relative."""
    if isinstance(one, dict):
        assert set(one) == set(two), path
        for key in one:
            assert_same(one[key], two[key], f"{path}/{key}")
    elif isinstance(one, list):
        assert len(one) == len(two), path
        for i, (a, b) in enumerate(zip(one, two, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(one, float) and isinstance(two, float) and any(m in path for m in MONEY):
        assert math.isclose(one, two, rel_tol=1e-9, abs_tol=1e-9), (path, one, two)
    else:
        assert one == two, (path, one, two)


def json_of(output: str) -> Any:
    return json.loads(output)
