"""Properties of `riskctl rules suggest`: no rule repeats an existing one, later rows never
change the rules chosen on the earlier part, the same seed gives the same output; and on
generated history with the demo baseline strategy, the rules catch named attacks the
baseline misses, within the budget on the holdout."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.demo import run_demo
from riskctl.rules.candidates import WHERE
from riskctl.strategy.conditions import compile_condition

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history, random_strategy  # noqa: E402

SEARCH_ENDS = "2026-02-12"  # day 42 of the random histories' 60


def suggest(strategy: Path, data: Path, *extra: str) -> dict:
    args = ["rules", "suggest", str(strategy), "--data", str(data), "--json", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fires(frame: pl.DataFrame, when: str) -> pl.Series:
    return frame.select(compile_condition(when, frame.schema, WHERE)).to_series()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mode", ["shadow", "active"])
def test_an_existing_rule_is_never_suggested_again(tmp_path: Path, seed: int, mode: str) -> None:
    history = random_history(seed)
    data = tmp_path / "h.parquet"
    history.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(random_strategy(seed), encoding="utf-8")
    opts = ("--budget-fpr", "0.02", "--min-folds", "2", "--holdout-from", SEARCH_ENDS)
    first = suggest(strategy, data, *opts)["rules"]
    assert first
    best = first[0]["when"]
    text = strategy.read_text(encoding="utf-8")
    if "rules:" not in text:
        text += "rules:\n"
    text += f'  - {{name: copied, when: "{best}", action: review, mode: {mode}}}\n'
    strategy.write_text(text, encoding="utf-8")
    again = suggest(strategy, data, *opts)["rules"]
    search = history.filter(pl.col("event_time") < datetime.fromisoformat(SEARCH_ENDS))
    existing = fires(search, best)
    for rule in again:
        assert rule["when"] != best
        assert not fires(search, rule["when"]).equals(existing)


@pytest.mark.parametrize("seed", range(3))
def test_later_rows_never_change_the_rules_chosen_on_the_earlier_part(
    tmp_path: Path, seed: int
) -> None:
    history = random_history(seed, rows=8_000)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(random_strategy(seed), encoding="utf-8")
    opts = ("--budget-fpr", "0.02", "--min-folds", "2", "--holdout-from", SEARCH_ENDS)
    chosen = []
    for days in (45, 52, 60):
        data = tmp_path / f"h{days}.parquet"
        history.filter(
            pl.col("event_time") < datetime(2026, 1, 1) + timedelta(days=days)
        ).write_parquet(data)
        report = suggest(strategy, data, *opts)
        chosen.append([(r["when"], r["search"]) for r in report["rules"]])
    assert chosen[0]
    assert chosen[0] == chosen[1] == chosen[2]


def test_same_seed_same_output(tmp_path: Path) -> None:
    history = random_history(5, unlabelled=0.05)
    data = tmp_path / "h.parquet"
    history.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(random_strategy(5), encoding="utf-8")
    outputs = []
    for k in range(2):
        out = tmp_path / f"out{k}.yaml"
        report = suggest(strategy, data, "--budget-fpr", "0.02", "--seed", "3", "--out", str(out))
        outputs.append((report, out.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0]["rules"]


@pytest.mark.slow
def test_demo_baseline_misses_attacks_the_rules_catch(tmp_path: Path) -> None:
    """`riskctl demo`'s generated history and scored later third, with its baseline
    strategy: the rules newly stop bad rows of named attacks on the holdout, within the
    budget at the upper bound."""
    demo = run_demo(tmp_path / "demo", rows=60_000, seed=3)
    budget = 0.005
    out = tmp_path / "suggested.yaml"
    baseline = demo.out / "strategies" / "baseline.yaml"
    report = suggest(baseline, demo.scored, "--budget-fpr", str(budget), "--out", str(out))
    assert report["rules"]
    assert report["within_budget"]
    assert report["together"]["intervals"]["false_positive_rate"][1] <= budget
    caught = set()
    for rule in report["rules"]:
        assert rule["holdout"]["metrics"]["catch_rate"] > 0
        assert rule["holdout"]["intervals"]["false_positive_rate"][1] <= budget
        named = {a for a, n in rule["attacks"].items() if a != "none" and n["bad"] > 0}
        assert named, rule
        caught |= named
    assert caught <= {"brushing", "promo_abuse", "stolen_card", "account_takeover"}
    assert "attack" not in " ".join(r["when"] for r in report["rules"])


def test_the_report_lists_each_suggested_rule_with_its_holdout_numbers(tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    history = random_history(2)
    data = tmp_path / "h.parquet"
    history.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(random_strategy(2), encoding="utf-8")
    report = tmp_path / "r.html"
    found = suggest(strategy, data, "--budget-fpr", "0.02", "--report", str(report))
    assert found["rules"]
    page = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser")
    for rule in found["rules"]:
        cells = [td.get_text(strip=True) for td in page.find("tr", {"data-rule": rule["name"]})]
        assert cells[0] == f"{rule['name']}(shadow)"
        assert int(cells[2].replace(",", "")) == rule["hits"]
        assert int(cells[5].replace(",", "")) == rule["holdout"]["newly_stopped_bad"]
