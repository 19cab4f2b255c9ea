"""`tune --holdout` warns when the held-out rows disagree with the tuning rows beyond both
intervals, and stays quiet when they agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.metrics.intervals import disagree, wilson
from riskctl.simulation.simulate import run_simulation
from riskctl.tuning.thresholds import Target
from riskctl.tuning.tune import tune_run

STRATEGY = """name: s
actions: [review, allow]
thresholds:
  review: {score: 0.5}
label: is_bad
time: event_time
"""


def _history(path: Path, seed: int, rows: int, signal_ends: float | None) -> Path:
    """Scores that find the bad rows; from `signal_ends` (a share of the rows, in time
    order) on, the labels no longer follow the scores."""
    rng = np.random.default_rng(seed)
    score = rng.random(rows)
    bad = rng.random(rows) < np.where(score > 0.9, 0.3, 0.01)
    if signal_ends is not None:
        late = np.arange(rows) >= int(rows * signal_ends)
        bad = np.where(late, rng.random(rows) < 0.037, bad)
    start = datetime(2026, 1, 1)
    pl.DataFrame(
        {
            "event_time": [start + timedelta(minutes=10 * i) for i in range(rows)],
            "score": score,
            "is_bad": bad.astype(np.int8),
        }
    ).write_parquet(path)
    return path


def test_disagree_needs_intervals_apart() -> None:
    assert disagree(wilson(60, 100), wilson(10, 100))
    assert not disagree(wilson(60, 100), wilson(50, 100))
    assert not disagree(wilson(0, 0), wilson(10, 100))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("rows", [6_000, 20_000])
def test_a_holdout_where_the_signal_is_gone_is_called_out(
    tmp_path: Path, seed: int, rows: int
) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    data = _history(tmp_path / "h.parquet", seed, rows, signal_ends=0.7)
    result = tune_run(run_simulation(strategy, data), Target("max_fpr", 0.05), holdout=0.3)
    assert result.holdout_after is not None
    (warning,) = [w for w in result.warnings if "catch rate" in w]
    assert "tuning rows" in warning and "do not overlap" in warning and "held-out" in warning


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rows", [6_000, 20_000])
def test_a_holdout_like_the_tuning_rows_stays_quiet(tmp_path: Path, seed: int, rows: int) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    data = _history(tmp_path / "h.parquet", seed, rows, signal_ends=None)
    result = tune_run(run_simulation(strategy, data), Target("max_fpr", 0.05), holdout=0.3)
    assert result.holdout_after is not None
    assert result.warnings == []
