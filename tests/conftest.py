"""Shared fixtures: one small generated history and one detector per test session."""

from __future__ import annotations

import os

from riskctl import runtime


def _load_xgboost_with_a_bounded_spin() -> None:
    """XGBoost's OpenMP runtime reads its settings once, when it loads. The command line
    bounds the spin of its waiting threads before that (`riskctl.runtime`); the tests call
    the library in this process, beside another busy test process, where the default spin
    made training 3 to 4 times slower. So XGBoost loads here with the command line's spin
    (its thread count unchanged), and the environment is given back at once: the commands
    the tests start choose for themselves. Nothing is done when the user set any of the
    OpenMP variables."""
    if any(name in os.environ for name in runtime.USER_VARIABLES):
        return
    os.environ["GOMP_SPINCOUNT"] = str(runtime.SPIN_COUNT)
    try:
        import xgboost  # noqa: F401
    finally:
        del os.environ["GOMP_SPINCOUNT"]


_load_xgboost_with_a_bounded_spin()

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
