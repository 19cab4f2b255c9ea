"""The notebook API: the package root exposes the main steps, documented, loaded lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import riskctl


def test_every_entry_point_is_documented() -> None:
    for name in riskctl.API:
        assert getattr(riskctl, name).__doc__, name
    with pytest.raises(AttributeError):
        _ = riskctl.no_such_thing


def test_importing_riskctl_loads_no_heavy_library() -> None:
    code = "import sys, riskctl; print('polars' in sys.modules, 'xgboost' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_notebook_session(tmp_path: Path, scored_path: Path, example_strategies: Path, detector):
    run = riskctl.simulate(
        example_strategies / "candidate.yaml",
        scored_path,
        baseline=example_strategies / "baseline.yaml",
    )
    assert 0 <= run.candidate.metrics.catch_rate.value <= 1
    assert {g.id for g in riskctl.check(run)}
    curves = riskctl.sweep(scored_path, score="score", label="is_bad")
    assert curves[0].points.height > 1
    tuned = riskctl.tune(run, "max_fpr", 0.01)
    assert tuned.after_metrics.false_positive_rate.value <= 0.01 or not tuned.met
    frame = pl.read_parquet(scored_path).head(10)
    scored = riskctl.score(detector, frame.drop("score"))
    assert scored["score"].to_list() == pytest.approx(frame["score"].to_list())
