"""What the command line says: help with plain value names, a bare `riskctl` that shows the
help, and `validate` naming the checks it could not make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from riskctl.cli.app import COMMANDS, app

EVERY = [*(c for c in COMMANDS if c != "data"), "data generate", "data profile"]
PYTHON_TYPES = re.compile(r"<(bool|str|int|float|path|Path|list\[[^\]]*\])>")


def test_help_shows_plain_value_names() -> None:
    runner = CliRunner()
    for command in ["", "data", *EVERY]:
        args = [*command.split(), "--help"]
        output = runner.invoke(app, args, env={"COLUMNS": "200"}).output
        assert not PYTHON_TYPES.search(output), (command, PYTHON_TYPES.findall(output))
    tune = runner.invoke(app, ["tune", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--max-fpr\s+NUMBER", tune) and re.search(r"--data\s+-d\s+PATH", tune)
    assert re.search(r"--json\s+Print JSON", tune)  # an on/off flag takes no value
    sweep = runner.invoke(app, ["sweep", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--score\s+TEXT", sweep)


def test_a_bare_riskctl_prints_the_help() -> None:
    for args in ([], ["data"]):
        done = subprocess.run(
            [sys.executable, "-m", "riskctl", *args], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "Usage:" in done.stdout and "Commands" in done.stdout
        assert "error" not in done.stderr, done.stderr


def test_validate_without_data_names_what_it_did_not_check(tmp_path: Path) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n"
        "rules:\n  - {name: r, when: 'no_such_column > 1', action: review, reason: R01}\n"
    )
    result = CliRunner().invoke(app, ["validate", str(strategy)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "not checked: columns" in result.output and "pass --data" in result.output
    assert "not checked: rule reason codes" in result.output and "--reasons" in result.output
    assert "1 file(s) valid as far as checked" in result.output
    table = tmp_path / "t.csv"
    table.write_text("no_such_column,score\n1,0.5\n")
    checked = CliRunner().invoke(app, ["validate", str(strategy), "--data", str(table)])
    assert "not checked: columns" not in checked.output
    missing = tmp_path / "m.csv"
    missing.write_text("other,score\n1,0.5\n")
    refused = CliRunner().invoke(app, ["validate", str(strategy), "--data", str(missing)])
    assert refused.exit_code == 2 and "no_such_column" in refused.output
