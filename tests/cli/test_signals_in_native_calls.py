"""SIGINT and SIGTERM are answered while the main thread is inside a long native call (a
polars query, an XGBoost round, a compiled kernel), not when the call returns.

The time limits here are hang detectors (far above what an answered signal takes), never
timing checks: an unanswered signal lets the work run for minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).parents[2]
HANG = 30.0  # seconds: a process still running by then did not answer the signal


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_busy(proc: subprocess.Popen[bytes], cpu: float) -> None:
    """Until the process has used `cpu` seconds of CPU (it is past start-up and at work)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _cpu_seconds(proc.pid) >= cpu:
            return
        time.sleep(0.05)


# a compiled kernel that holds no lock and loops for minutes unless stopped
BUSY = """
import sys
from numba import njit
from riskctl.cli.entry import install_handlers

@njit(nogil=True, cache=False)
def spin(n):
    x = 1
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFF
    return x

install_handlers()
spin(10)  # compiled now, before the signal
print("busy", flush=True)
spin(10**13)
print("not interrupted", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_long_native_call(signum: int, code: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(BUSY)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"busy\n"
    time.sleep(0.3)  # inside the kernel now
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=HANG)
    finally:
        proc.kill()
    assert proc.returncode == code, err.decode()
    assert b"not interrupted" not in out
    assert (
        err.decode().strip() == f"error: {'interrupted' if code == 130 else 'terminated'}; "
        "nothing was written"
    )


@pytest.mark.slow
def test_sigterm_stops_a_busy_sweep_and_leaves_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 4_000_000
    data = tmp_path / "big.parquet"
    pl.DataFrame(
        {
            "score": rng.random(n),
            "is_bad": (rng.random(n) < 0.05).astype(np.int8),
            "shop": np.arange(n) % 1000,  # a curve per shop: minutes of work, unless stopped
        }
    ).write_parquet(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskctl", "sweep", "--data", str(data), "--score", "score",
         "--label", "is_bad", "--by", "shop"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _wait_busy(proc, 1.5)
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=HANG)
    finally:
        proc.kill()
    text = err.decode()
    if proc.returncode != 143:  # it may have failed on its own arguments first: say so
        pytest.fail(f"exit {proc.returncode}: {text}")
    assert "Traceback" not in text and "panicked" not in text
    assert list(out_dir.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.parquet", "out"]
