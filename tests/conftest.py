"""Shared fixtures: one small generated history and one detector per test session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import write_table
from riskctl.model.detector import Detector
from riskctl.model.score import score_frame
from riskctl.model.train import train_detector
from riskctl.resources import strategies_dir
from riskctl.synth.generate import generate_history

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
