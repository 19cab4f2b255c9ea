"""Shared fixtures: one small generated history and one detector per test session."""

from __future__ import annotations

import os

from riskctl import runtime


def _load_native_libraries_with_bounded_spins() -> None:
    """XGBoost's OpenMP runtime and numpy's OpenBLAS read their settings once, when they
    load. The command line bounds how long their idle threads spin before that
    (`riskctl.runtime`), because beside another busy process a spinning thread steals the
    core the other needs. The tests call the library in their own process, always beside
    another busy test process (training there was 3 to 4 times slower with the default
    spin), so the libraries load here with the command line's spins (thread counts
    unchanged: the same results), and the environment is given back at once: the commands
    the tests start choose for themselves. A variable the user set is left alone."""
    chosen = runtime.quiet_blas(os.environ)
    if not any(name in os.environ for name in runtime.USER_VARIABLES):
        chosen["GOMP_SPINCOUNT"] = os.environ["GOMP_SPINCOUNT"] = str(runtime.SPIN_COUNT)
    try:
        import numpy  # noqa: F401
        import xgboost  # noqa: F401
    finally:
        for name in chosen:
            del os.environ[name]


_load_native_libraries_with_bounded_spins()

from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402
import pytest  # noqa: E402

from riskctl.data.io import write_table  # noqa: E402
from riskctl.model.detector import Detector  # noqa: E402
from riskctl.model.score import score_frame  # noqa: E402
from riskctl.model.train import train_detector  # noqa: E402
from riskctl.resources import strategies_dir  # noqa: E402
from riskctl.synth.generate import generate_history  # noqa: E402

ROWS = 30_000
SEED = 11


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("riskctl")


@pytest.fixture(scope="session")
def history(workdir: Path) -> pl.DataFrame:
    return generate_history(rows=ROWS, seed=SEED)


@pytest.fixture(scope="session")
def history_path(workdir: Path, history: pl.DataFrame) -> Path:
    return write_table(history, workdir / "history.parquet")


@pytest.fixture(scope="session")
def detector(workdir: Path, history_path: Path) -> Detector:
    return train_detector(
        history_path,
        label="is_bad",
        time="event_time",
        exclude=["attack"],
        out=workdir / "detector",
        seed=SEED,
        rounds=120,
    ).detector


@pytest.fixture(scope="session")
def scored_path(workdir: Path, history: pl.DataFrame, detector: Detector) -> Path:
    return write_table(score_frame(detector, history), workdir / "scored.parquet")


@pytest.fixture(scope="session")
def example_strategies() -> Path:
    return strategies_dir()


@pytest.fixture
def write_strategy(tmp_path: Path):
    """Write YAML text to a strategy file in tmp_path and return its path."""

    def write(text: str, name: str = "s.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
