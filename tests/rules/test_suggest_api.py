"""`riskctl.suggest_rules` from Python: a path, a polars or pandas frame and a strategy as a
file or a dict all give the command's `--json`; `.table()` holds the same numbers; `out=`
writes the strategy as `--out` does; an unknown option is named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

import riskctl
from riskctl.cli.app import app
from riskctl.errors import UsageError

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history, random_strategy  # noqa: E402

OPTIONS = {"budget_fpr": 0.01, "max_rules": 3, "seed": 4}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("api_rules")
    data, strategy = folder / "history.parquet", folder / "strategy.yaml"
    random_history(4, rows=5_000).write_parquet(data)
    strategy.write_text(random_strategy(4), encoding="utf-8")
    return data, strategy


def _without_path(found: dict) -> dict:
    return {k: v for k, v in found.items() if k != "strategy"}


def test_every_form_gives_the_commands_json(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    data, strategy = inputs
    args = ["rules", "suggest", str(strategy), "--data", str(data), "--json"]
    args += ["--budget-fpr", "0.01", "--max-rules", "3", "--seed", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    command = _without_path(json.loads(result.stdout))
    assert command["rules"]
    as_dict = yaml.safe_load(strategy.read_text(encoding="utf-8"))
    forms = [
        (data, strategy),
        (pl.read_parquet(data), as_dict),
        (pl.read_parquet(data).to_pandas(), strategy),
    ]
    for table, plan in forms:
        found = riskctl.suggest_rules(plan, table, **OPTIONS)
        assert _without_path(json.loads(json.dumps(found.to_dict()))) == command
    view = found.table()
    assert view["when"].to_list() == [r["when"] for r in command["rules"]]
    catch = [r["holdout"]["metrics"]["catch_rate"] for r in command["rules"]]
    assert view["catch_rate"].to_list() == catch
    assert view["folds_passed"].to_list() == [r["folds_passed"] for r in command["rules"]]


def test_out_writes_the_strategy_with_the_rules_in_shadow_mode(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    data, strategy = inputs
    out = tmp_path / "suggested.yaml"
    as_dict = yaml.safe_load(strategy.read_text(encoding="utf-8"))
    found = riskctl.suggest_rules(as_dict, pl.read_parquet(data), out=out, **OPTIONS)
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    new = [r for r in written["rules"] if r["name"].startswith("suggested_")]
    assert [r["when"] for r in new] == [s.rule.when for s in found.rules]
    assert all(r["mode"] == "shadow" for r in new)


def test_an_unknown_option_is_named(inputs: tuple[Path, Path]) -> None:
    data, strategy = inputs
    with pytest.raises(UsageError, match="no option 'budget'"):
        riskctl.suggest_rules(strategy, data, budget=0.01)
