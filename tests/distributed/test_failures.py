"""Failures end promptly with one line and exit 2 or 3: an address nobody answers, a worker
killed mid-job, a job past its time limit, bad data found on a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.errors import ClusterError
from tests.distributed.conftest import SMALL, local_cluster, split_parts

runner = CliRunner()


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_unreachable_scheduler_is_one_line_exit_2(scored_parts, example_strategies):
    result = runner.invoke(
        app,
        [
            "simulate",
            str(example_strategies / "candidate.yaml"),
            "--data",
            str(scored_parts),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "2",
        ],
    )
    assert result.exit_code == 2
    lines = error_lines(result.output)
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0]


def test_scheduler_from_the_environment(scored_parts, example_strategies, monkeypatch):
    monkeypatch.setenv("RISKCTL_SCHEDULER", "tcp://127.0.0.1:9")
    monkeypatch.setenv("RISKCTL_DASK_TIMEOUT", "1")
    result = runner.invoke(
        app, ["check", str(example_strategies / "candidate.yaml"), "--data", str(scored_parts)]
    )
    assert result.exit_code == 2
    assert "tcp://127.0.0.1:9" in result.output


def test_bad_timeout_is_a_usage_error(scored_parts, example_strategies):
    result = runner.invoke(
        app,
        [
            "check",
            str(example_strategies / "candidate.yaml"),
            "--data",
            str(scored_parts),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "0",
        ],
    )
    assert result.exit_code == 2 and "--timeout" in result.output


def test_one_machine_path_never_imports_dask(small_scored, example_strategies):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from riskctl.cli.app import app\n"
        f"r = CliRunner().invoke(app, ['check', {str(example_strategies / 'candidate.yaml')!r},"
        f" '--data', {str(small_scored)!r}, '--json'])\n"
        "assert r.exit_code in (0, 1), r.output\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKCTL_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_bad_data_on_a_worker_is_one_line_exit_2(
    address, small_scored, tmp_path, example_strategies
):
    broken = pl.read_parquet(small_scored).with_columns(
        pl.when(pl.int_range(pl.len()) == 5_000).then(7).otherwise(pl.col("is_bad")).alias("is_bad")
    )
    parts = split_parts(broken, tmp_path / "parts", SMALL)
    result = runner.invoke(
        app,
        [
            "simulate",
            str(example_strategies / "candidate.yaml"),
            "--data",
            str(parts),
            "--label",
            "is_bad",
            "--scheduler",
            address,
        ],
    )
    assert result.exit_code == 2
    lines = error_lines(result.output)
    assert len(lines) == 1 and "1 values other than 0 and 1" in lines[0] and "day=2" in lines[0]


def test_out_never_overwrites_an_input(address, detector, scored_parts, workdir):
    result = runner.invoke(
        app,
        [
            "score",
            str(workdir / "detector"),
            str(scored_parts),
            "--out",
            str(scored_parts),
            "--scheduler",
            address,
        ],
    )
    assert result.exit_code == 2 and "would overwrite the input" in result.output


def test_job_past_its_time_limit_stops():
    # a cluster of its own: its workers sleep on after the job is stopped (a sleeping thread
    # cannot be interrupted), which would hold up the next tests on the shared one
    with (
        local_cluster() as lc,
        Cluster(ClusterOptions(lc.scheduler_address, timeout=3)) as cluster,
        pytest.raises(ClusterError) as exc,
    ):
        cluster.map(time.sleep, [(60,), (60,)], name="nap")
    assert exc.value.exit_code == 3
    assert "did not finish within 3 s" in str(exc.value)


def _kill_a_worker_when_busy(scheduler_address: str, delay: float = 0.5, key: str = "") -> None:
    """Wait until a task (whose key holds `key`) runs, then SIGKILL one worker process (its
    nanny restarts it)."""
    from distributed import Client

    with Client(scheduler_address, set_as_default=False) as client:
        for _ in range(2000):
            busy = client.processing()
            if any(key in str(k) for keys in busy.values() for k in keys):
                break
            time.sleep(0.01)
        time.sleep(delay)
        pids: dict = {}
        for _ in range(100):
            pids = client.run(os.getpid)
            if pids:
                break
            time.sleep(0.1)
        os.kill(sorted(pids.values())[0], signal.SIGKILL)


@pytest.mark.slow
def test_worker_killed_mid_job_stops_the_job():
    with local_cluster() as lc:
        killer = threading.Thread(target=_kill_a_worker_when_busy, args=(lc.scheduler_address,))
        killer.start()
        with (
            Cluster(ClusterOptions(lc.scheduler_address, 120)) as cluster,
            pytest.raises(ClusterError) as exc,
        ):
            cluster.map(time.sleep, [(20,)] * 4, name="nap")
        killer.join()
    assert exc.value.exit_code == 3
    assert "left the cluster during nap" in str(exc.value)


@pytest.mark.slow
def test_worker_killed_during_training_exits_3(history_parts, tmp_path: Path):
    with local_cluster() as lc:
        killer = threading.Thread(target=_kill_a_worker_when_busy, args=(lc.scheduler_address,))
        killer.start()
        result = runner.invoke(
            app,
            [
                "train",
                str(history_parts),
                "--label",
                "is_bad",
                "--time",
                "event_time",
                "--exclude",
                "attack",
                "--rounds",
                "2000",
                "--out",
                str(tmp_path / "det"),
                "--scheduler",
                lc.scheduler_address,
                "--timeout",
                "120",
            ],
        )
        killer.join()
    assert result.exit_code == 3, result.output
    lines = error_lines(result.output)
    assert len(lines) == 1 and "left the cluster" in lines[0]
    assert not (tmp_path / "det").exists()


@pytest.mark.slow
def test_worker_killed_during_features_exits_3_and_writes_nothing(tmp_path: Path):
    from tests.distributed.test_features import SPEC, events

    spec = tmp_path / "features.yaml"
    spec.write_text(SPEC)
    parts = split_parts(events(5, 60_000), tmp_path / "parts", (6_000,) * 10)
    with local_cluster() as lc:
        killer = threading.Thread(
            target=_kill_a_worker_when_busy,
            args=(lc.scheduler_address, 0.0, "features"),
        )
        killer.start()
        result = runner.invoke(
            app,
            ["features", str(spec), "--data", str(parts), "--out", str(tmp_path / "out")]
            + ["--scheduler", lc.scheduler_address, "--timeout", "120"],
        )
        killer.join()
    assert result.exit_code == 3, result.output
    lines = error_lines(result.output)
    assert len(lines) == 1 and "left the cluster during features" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.yaml", "parts"]


@pytest.mark.parametrize(
    "command,flag",
    [
        ("simulate", ["--decision", "decision"]),
        ("simulate", ["--labels", "bounds"]),
        ("check", ["--control", "in_control"]),
        ("sweep", ["--propensity", "p"]),
    ],
)
def test_one_machine_options_are_refused_by_name(
    command, flag, address, scored_parts, example_strategies
):
    strategy = ["--strategy"] if command == "sweep" else []
    args = [command, *strategy, str(example_strategies / "candidate.yaml"), "--data"]
    result = runner.invoke(app, [*args, str(scored_parts), *flag, "--scheduler", address])
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output)
    assert len(lines) == 1 and f"{flag[0]} runs on one machine only" in lines[0]


def test_rows_without_a_label_are_refused_not_misread(
    address, small_scored, tmp_path, example_strategies
):
    unlabelled = pl.read_parquet(small_scored).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0)
        .then(None)
        .otherwise(pl.col("is_bad"))
        .alias("is_bad")
    )
    parts = split_parts(unlabelled, tmp_path / "parts", SMALL)
    strategy = str(example_strategies / "candidate.yaml")
    for command in ("simulate", "check"):
        result = runner.invoke(
            app, [command, strategy, "--data", str(parts), "--scheduler", address]
        )
        assert result.exit_code == 2, result.output
        lines = error_lines(result.output)
        assert len(lines) == 1 and "unlabelled" in lines[0] and "one machine only" in lines[0]


def _garbage_server() -> tuple[int, threading.Event]:
    """A TCP port that answers every connection with bytes that are not Dask's."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        with server:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.sendall(b"\xff" * 64)
                    time.sleep(0.5)

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], stop


@pytest.mark.parametrize("kind", ["refused", "garbage", "malformed"])
def test_unreachable_scheduler_exits_at_once_with_nothing_after(
    kind, small_scored, example_strategies
):
    """In a real process: a client that failed half-way must not block the exit (its
    close-on-collect waits twice the connect timeout) nor print a traceback after the line."""
    stop = None
    if kind == "garbage":
        port, stop = _garbage_server()
        address = f"tcp://127.0.0.1:{port}"
    else:
        address = "tcp://127.0.0.1:9" if kind == "refused" else "tcp://[::1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKCTL_")}
    args = ["simulate", str(example_strategies / "candidate.yaml"), "--data", str(small_scored)]
    code = "from riskctl.cli.app import main; main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args, "--scheduler", address],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,  # a hang, not a speed target: the connect timeout alone is 20 s
        )
    finally:
        if stop is not None:
            stop.set()
    assert done.returncode == 2, done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert "Allocate" not in lines[0] and "EiB" not in lines[0]
    words = {
        "refused": "connection refused",
        "garbage": "not a Dask scheduler",
        "malformed": "closing ']'",
    }
    assert words[kind] in lines[0], lines[0]
