"""`riskctl rules suggest` reports, per rule and for the set, exactly the numbers `riskctl
simulate` gives for the written strategy against the original on the same holdout rows.

Random strategies and data (seeded loops): the rules written to --out are switched from
shadow to active one at a time (and all together), simulated against the original on the
holdout rows, and every count, delta and interval must be equal; the shadow rule table
(hits, precision, overlap) must equal the written strategy's own.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.simulation.simulate import run_simulation

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history, random_strategy  # noqa: E402


def suggest(args: list[str]) -> dict:
    result = CliRunner().invoke(app, ["rules", "suggest", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def variant(written: Path, names: set[str], out: Path) -> Path:
    """The written strategy with the rules `names` switched to active, the other suggestions
    left in shadow mode (a user's edit of the written file)."""
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule.get("mode") == "shadow" and rule["name"] in names:
            rule["mode"] = "active"
    out.write_text(yaml.safe_dump(data), encoding="utf-8")
    return out


def assert_change(reported: dict, run) -> None:
    comparison = run.comparison
    assert comparison is not None
    for key, value in reported["metrics"].items():
        d = comparison.delta[key]
        assert [d.value, d.low, d.high] == [value, *reported["intervals"][key]], key
    assert reported["newly_stopped_bad"] == comparison.cell("swap-in", 1).rows
    assert reported["newly_hit_good"] == comparison.cell("swap-in", 0).rows
    assert reported["newly_hit_unknown"] == comparison.cell("swap-in", None).rows
    assert reported["bad_amount"] == comparison.cell("swap-in", 1).amount
    assert reported["good_amount"] == comparison.cell("swap-in", 0).amount
    assert reported["estimates"] == {k: v.to_dict() for k, v in comparison.estimates.items()}


@pytest.mark.parametrize("seed", range(6))
def test_reported_numbers_are_simulates(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    history = random_history(seed, unlabelled=0.05 if seed % 2 else 0.0)
    data = tmp_path / "history.parquet"
    history.write_parquet(data)
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(random_strategy(seed), encoding="utf-8")
    written = tmp_path / "suggested.yaml"
    budget = float(rng.choice([0.01, 0.02, 0.05]))
    action = str(rng.choice(["review", "block"]))
    report = suggest(
        [str(strategy), "--data", str(data), "--out", str(written), "--budget-fpr", str(budget),
         "--action", action, "--max-rules", "3", "--min-folds", "2", "--seed", str(seed)]
    )  # fmt: skip
    assert report["rules"], "the planted pattern should give at least one rule"
    # chosen on the earlier part, the set keeps its budget on the later part
    assert report["within_budget"]
    assert report["together"]["intervals"]["false_positive_rate"][1] <= budget
    holdout = tmp_path / "holdout.parquet"
    cut = datetime.fromisoformat(report["holdout_from"])
    history.filter(pl.col("event_time") >= cut).write_parquet(holdout)
    shadow = run_simulation(written, holdout, baseline=strategy)
    table = {r.name: r for r in shadow.candidate.rules}
    existing = {r.name for r in shadow.baseline.rules}
    for rule in report["rules"]:
        stats = table[rule["name"]]
        assert stats.mode == "shadow" and stats.action == action
        assert rule["hits"] == stats.hits
        assert [rule["precision"], *rule["precision_interval"]] == [
            stats.precision.value, stats.precision.low, stats.precision.high
        ]  # fmt: skip
        assert rule["overlap"] == {k: v for k, v in stats.overlap.items() if k in existing}
        assert rule["holdout"]["newly_stopped_bad"] == stats.incremental_bad
        assert rule["already_flagged"] == stats.hits - stats.incremental_hits
        one = variant(written, {rule["name"]}, tmp_path / f"{rule['name']}.yaml")
        assert_change(rule["holdout"], run_simulation(one, holdout, baseline=strategy))
    every = {r["name"] for r in report["rules"]}
    together = variant(written, every, tmp_path / "together.yaml")
    assert_change(report["together"], run_simulation(together, holdout, baseline=strategy))
