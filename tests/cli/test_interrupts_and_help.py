"""Ctrl-C and SIGTERM at any moment: one line, exit 130 / 143, nothing half-written, no
temporary file left. And help text that reads right."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.cli.helptext import reflow

COMMANDS = ["demo", "train", "score", "explain", "validate", "simulate", "check", "report"]
COMMANDS += ["sweep", "tune", "diff", "data generate"]


def start(*args: str | Path, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "riskctl", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate, proc: subprocess.Popen[bytes], limit: float = 120.0) -> bool:
    """Poll until `predicate()` or the process ends (a safety stop, not a timing check)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def assert_stopped_cleanly(proc: subprocess.Popen[bytes], code: int, out_dir: Path) -> None:
    _, stderr = proc.communicate(timeout=60)
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert proc.returncode == code, stderr.decode()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr.decode()
    assert "Traceback" not in stderr.decode() and "panicked" not in stderr.decode()
    assert [p.name for p in out_dir.iterdir()] == []


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_write_leaves_nothing(
    tmp_path: Path, detector, history_path: Path, signum: int, code: int
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = start(
        "explain", detector.path, history_path, "--out", out_dir / "x.parquet", cwd=tmp_path
    )
    seen = wait_for(lambda: any(".parts-" in p.name for p in out_dir.iterdir()), proc)
    assert seen, "explain finished before it could be interrupted"
    proc.send_signal(signum)
    assert_stopped_cleanly(proc, code, out_dir)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_ctrl_c_during_start_up(tmp_path: Path, history_path: Path, detector, delay: float) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = start("score", detector.path, history_path, "--out", out_dir / "s.parquet", cwd=tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:  # finished first: then the output is whole
        assert (out_dir / "s.parquet").exists()
        return
    # before the handler is installed Python itself stops with KeyboardInterrupt; after it,
    # riskctl's one line and 130
    text = stderr.decode()
    assert proc.returncode in (130, -signal.SIGINT) or (
        proc.returncode == 1 and "KeyboardInterrupt" in text and "riskctl" not in text
    ), text
    assert "panicked" not in text
    assert not [p for p in out_dir.iterdir()]


def test_usage_lines_name_arguments_in_capitals() -> None:
    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "120"})
        usage = next(line for line in result.output.splitlines() if "Usage:" in line)
        assert "{" not in usage, usage
    score = runner.invoke(app, ["score", "--help"], env={"COLUMNS": "120"}).output
    assert "Usage: riskctl score [OPTIONS] DETECTOR DATA" in score


def test_help_keeps_square_brackets() -> None:
    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert "interactions ([[feature, ...], ...])" in result.output
    result = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200"})
    assert "pip install 'riskctl[dask]'" in result.output


def test_range_errors_are_one_line(scored_path: Path, example_strategies: Path, tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "tune",
            str(example_strategies / "candidate.yaml"),
            "--data",
            str(scored_path),
            "--max-fpr",
            "1.5",
            "--out",
            str(tmp_path / "t.yaml"),
        ],
    )
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("error: Invalid value for '--max-fpr': 1.5")
    assert not (tmp_path / "t.yaml").exists()


def test_entry_point_handles_signals_before_heavy_imports() -> None:
    """entry.py loads only the standard library and riskctl.tempfiles (whose cleanup the
    handler runs: loaded before, never by the handler), which loads only the standard library."""
    root = Path(__file__).parents[2] / "riskctl"
    light = {"__future__", "contextlib", "os", "signal", "sys", "types", "threading", "shutil"}
    light |= {"select"}
    for module, allowed in [
        ("cli/entry.py", light | {"riskctl.tempfiles"}),
        ("tempfiles.py", light | {"collections.abc", "pathlib"}),
    ]:
        source = (root / module).read_text()
        top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
        assert all(m.split()[1] in allowed for m in top), (module, top)
    assert os.name == "posix"


def test_help_paragraphs_are_not_broken_at_source_lines() -> None:
    """A docstring wrapped at 95 columns reads as whole paragraphs that the terminal wraps,
    not as lines broken twice."""
    runner = CliRunner()
    for command in [*COMMANDS, "features", "monitor", "data profile"]:
        output = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "2000"}).output
        description = output.split("╭")[0]
        lines = [line.strip() for line in description.splitlines() if line.strip()]
        assert any(len(line) > 120 for line in lines), (command, lines)


def test_reflow_keeps_list_items_and_paragraphs() -> None:
    text = "One line\nwrapped here.\n\n* first item\n  continued\n* second\n\n\bkept\nas is"
    assert (
        reflow(text)
        == "One line wrapped here.\n\n* first item continued\n* second\n\n\bkept\nas is"
    )


def test_a_reader_that_goes_away_is_not_a_failed_guardrail(
    scored_path: Path, example_strategies: Path, tmp_path: Path
) -> None:
    """`riskctl simulate ... | head -1`: exit 141 as if by SIGPIPE, never 1 (a failing gate)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskctl", "simulate", str(example_strategies / "candidate.yaml"),
         "--data", str(scored_path)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 141, stderr.decode()
    assert b"Traceback" not in stderr
