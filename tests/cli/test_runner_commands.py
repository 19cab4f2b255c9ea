"""No line riskctl prints is a CI runner command, whatever the names and values hold.

GitHub's runner reads the legacy `##[cmd]` form anywhere in a line and `::cmd::` after the
line's leading whitespace (every Unicode space: NBSP, U+3000, ...); Azure's agent reads
`##vso[` anywhere. Strategy names (check), segment and rule names (diff), data values
(`--by` in simulate, sweep, monitor) and file names (validate errors) carry each form."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.cli.console import err, out
from tests.test_escape import log_lines, runs_as_command

runner = CliRunner()

VALUES = [
    "\u00a0::error::NBSP_INJECT",
    "x ##[error]MID_INJECT",
    "\u3000::warning::IDEO_INJECT",
    "\u2003 \u00a0::error::EM_INJECT",
    "\ufeff::error::BOM_INJECT",
    "y ##vso[task.complete result=Succeeded]AZ_INJECT",
    "z ##VSO[task.setvariable variable=a]AZ2_INJECT",
    "\\##[add-mask]MASK_INJECT",
    "###[error]TRIPLE_INJECT",
]
NAMES = [
    "cand ##[error]Guardrails bypassed - ignore failures",
    "##[add-mask]FAILED",
    "   ::error::NAME_LEAD",  # a strategy refuses NBSP and other odd spaces in names
    "n ##vso[task.logissue type=error]AZ",
]


def assert_no_command(text: str, where: str) -> None:
    lines = [line for line in log_lines(text) if runs_as_command(line)]
    assert not lines, f"{where}: {lines}"


@pytest.fixture(autouse=True, params=[2000, 40], ids=["wide", "narrow"])
def console_width(request: pytest.FixtureRequest):
    """Wide, and narrow enough that tables wrap values onto lines of their own."""
    widths = out.width, err.width
    out.width = err.width = request.param
    yield
    out.width, err.width = widths


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def strategy(name: str, segment: str, rule: str) -> dict:
    return {
        "name": name,
        "actions": ["block", "review", "allow"],
        "thresholds": {"block": {"score": 0.9}, "review": {"score": 0.5}},
        "segments": [{"name": segment, "when": "amount > 5000", "thresholds": {}}],
        "rules": [{"name": rule, "when": "amount > 100", "action": "review"}],
        "label": "is_bad",
        "guardrails": {"max_false_positive_rate": 0.0001},
        "monitoring": {"max_psi": 0.0},
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, scored_path: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("runner")
    df = pl.read_parquet(scored_path).head(3000)
    kinds = [VALUES[i % len(VALUES)] for i in range(df.height)]
    data = folder / "data.parquet"
    df.with_columns(pl.Series("kind", kinds)).write_parquet(data)
    paths = {"data": data}
    for i, name in enumerate(NAMES):
        path = folder / f"s{i}.yaml"
        text = strategy(name, f"seg ##[error]SEG{i}", f"rule ##[error]RULE{i}")
        path.write_text(yaml.safe_dump(text), encoding="utf-8")
        paths[f"s{i}"] = path
    base = folder / "base.yaml"
    base.write_text(yaml.safe_dump(strategy("base", "seg", "rule")), encoding="utf-8")
    paths["base"] = base
    broken = folder / "y ##[error]FN2 %0A::warning::W.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    paths["broken"] = broken
    return paths


@pytest.mark.parametrize("i", range(len(NAMES)))
def test_check_and_diff_names(files: dict[str, Path], i: int, tmp_path: Path) -> None:
    cand, junit = files[f"s{i}"], tmp_path / "junit.xml"
    check = invoke(
        "check", cand, "--baseline", files["base"], "--data", files["data"], "--junit", junit
    )
    assert check.exit_code == 1, check.output
    assert_no_command(junit.read_text(encoding="utf-8"), "check --junit")
    assert_no_command(check.stdout, "check")
    assert_no_command(check.stderr, "check stderr")
    assert "FAILED" in check.stdout or "NAME" in check.stdout or "AZ" in check.stdout
    for fmt in ("text", "markdown", "json"):
        diff = invoke("diff", files["base"], cand, "--format", fmt)
        assert diff.exit_code == 0, diff.output
        assert_no_command(diff.stdout, f"diff {fmt}")
        assert f"SEG{i}" in diff.stdout and f"RULE{i}" in diff.stdout
        if fmt == "json":
            assert f"seg ##[error]SEG{i}" in json.dumps(json.loads(diff.stdout))


def test_by_values(files: dict[str, Path]) -> None:
    data, cand = files["data"], files["s0"]
    runs = {
        "simulate": invoke("simulate", cand, "--data", data, "--by", "kind"),
        "simulate json": invoke("simulate", cand, "--data", data, "--by", "kind", "--json"),
        "sweep": invoke("sweep", "--data", data, "--strategy", cand, "--by", "kind"),
    }
    monitor = ("monitor", "--current", data, "--reference", data, "--strategy", cand)
    monitor += ("--by", "kind", "--sample", 0)
    runs["monitor"] = invoke(*monitor)
    runs["monitor md"] = invoke(*monitor, "--format", "md")
    runs["monitor json"] = invoke(*monitor, "--json")
    for where, result in runs.items():
        assert result.exit_code in (0, 1), f"{where}: {result.output}"
        assert_no_command(result.stdout, where)
        assert_no_command(result.stderr, f"{where} stderr")
    assert "MID_INJECT" in runs["sweep"].stdout and "NBSP_INJECT" in runs["sweep"].stdout
    shown = json.dumps(json.loads(runs["simulate json"].stdout), ensure_ascii=False)
    assert "x ##[error]MID_INJECT" in shown  # JSON readers get the value back as it is


def test_validate_file_names(files: dict[str, Path]) -> None:
    result = invoke("validate", files["broken"])
    assert result.exit_code == 2, result.output
    assert "FN2" in result.output
    assert_no_command(result.stdout, "validate")
    assert_no_command(result.stderr, "validate stderr")
