"""examples/monitoring/nightly.sh on generated data: exit code, message, report, JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import write_table
from riskctl.model.detector import Detector
from riskctl.synth.drift import parse_drift, plant_drift

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "monitoring"


@pytest.mark.slow
def test_nightly_job_pages_on_a_planted_shift(
    history: pl.DataFrame, detector: Detector, tmp_path: Path
) -> None:
    if not shutil.which("riskctl", path=str(Path(sys.executable).parent)):
        pytest.skip("riskctl is not installed next to this Python")
    df = plant_drift(history, [parse_drift("shift=amount_vs_buyer_avg:80")], seed=5)
    start = datetime(2026, 6, 1)
    t = pl.col("event_time")
    ref = df.filter((t >= start + timedelta(days=50)) & (t < start + timedelta(days=80)))
    cur = df.filter(t >= start + timedelta(days=80))
    ref_path = write_table(ref, tmp_path / "reference.parquet")
    cur_path = write_table(cur, tmp_path / "yesterday.parquet")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("RISKCTL_WEBHOOK", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    out = tmp_path / "monitor"
    result = subprocess.run(
        ["sh", str(EXAMPLE / "nightly.sh"), str(ref_path), str(cur_path),
         str(EXAMPLE / "nightly.yaml"), str(detector.path), str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("## riskctl monitor: `checkout-nightly`")
    assert "PSI of amount_vs_buyer_avg" in result.stdout
    summary = json.loads((out / "monitor.json").read_text())
    assert summary["drift"][0]["column"] == "amount_vs_buyer_avg"
    assert (out / "monitor.html").stat().st_size < 5_000_000
