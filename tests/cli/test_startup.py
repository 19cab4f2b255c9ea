"""Start-up: a command loads its own module and what it uses, never the other commands'
(training, explanations, reports) nor the libraries only they need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from riskctl.cli.app import COMMANDS

# libraries no simulate / check of a pre-scored table needs (ruamel.yaml is riskctl's one
# YAML reader, as light to import as PyYAML: every strategy is read with it)
HEAVY = ("xgboost", "sklearn", "scipy", "shap", "numba", "jinja2", "vl_convert")
CLI = "riskctl.cli."


def loaded_modules(*args: str | Path, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess]:
    """Run `riskctl ARGS` in a fresh interpreter; the modules it had loaded when it exited."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n'))\n"
        "sys.argv = ['riskctl', *sys.argv[1:]]\n"
        "from riskctl.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")]
    assert lines, done.stderr
    return set(lines[-1].split()[1:]), done


def other_commands(name: str) -> set[str]:
    own = COMMANDS[name][0]
    return {CLI + module for module, _ in COMMANDS.values() if module != own}


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_the_command_line_itself_loads_no_data_library(tmp_path: Path) -> None:
    """`riskctl --version` (and the group that dispatches every command) needs no polars."""
    modules, done = loaded_modules("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("riskctl ")
    assert not {"polars", "numpy", "pydantic", *HEAVY} & {m.split(".")[0] for m in modules}
    assert not modules & {CLI + module for module, _ in COMMANDS.values()}


@pytest.mark.parametrize("name", ["simulate", "check", "diff"])
def test_help_of_a_command_loads_that_command_alone(name: str, tmp_path: Path) -> None:
    modules, done = loaded_modules(name, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"riskctl {name}" in done.stdout
    assert CLI + COMMANDS[name][0] in modules
    assert not modules & other_commands(name)
    assert not heavy(modules)


@pytest.mark.parametrize("name", ["simulate", "check"])
def test_a_run_on_a_scored_table_loads_no_model_or_report_library(
    name: str, scored_path: Path, example_strategies: Path, tmp_path: Path
) -> None:
    modules, done = loaded_modules(
        name,
        example_strategies / "candidate.yaml",
        "--baseline",
        example_strategies / "baseline.yaml",
        "--data",
        scored_path,
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr  # check: 1 is a failing guardrail
    assert '"candidate"' in done.stdout
    assert not modules & other_commands(name)
    assert not heavy(modules)


def test_the_exit_skips_the_sweep_of_what_the_command_made(tmp_path: Path) -> None:
    """After the command, every object is frozen: the interpreter's exit does not search
    them for cycles (exit handlers, flushes and the exit code are as before)."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.stderr.write(f'FROZEN {gc.get_freeze_count()}\\n'))\n"
        "sys.argv = ['riskctl', 'simulate']\n"
        "from riskctl.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2  # a usage error keeps its exit code
    assert "Missing argument" in done.stderr
    frozen = [x for x in done.stderr.splitlines() if x.startswith("FROZEN ")]
    assert frozen and int(frozen[0].split()[1]) > 10_000, done.stderr
