"""`rules suggest --scheduler` searches and measures on a local cluster and prints exactly
the JSON one machine prints for the same rows: the same split, columns, warnings, rules,
search counts, folds and every holdout number. Parts are cut at random places; sampling
(the seeded draws by row position) is exercised by shrinking the sampled row counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.rules import window

from .conftest import assert_same, split_parts

sys.path.insert(0, str(Path(__file__).parents[1] / "rules"))
from rule_histories import random_history, random_strategy  # noqa: E402


def _suggest(args: list[str]) -> dict:
    result = CliRunner().invoke(app, ["rules", "suggest", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _inputs(tmp_path: Path, seed: int, rows: int) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    history = random_history(seed, rows=rows)
    attack = rng.choice(np.array(["ato", "promo", None], dtype=object), history.height)
    history = history.with_columns(attack=pl.Series(attack.tolist(), dtype=pl.String))
    single = tmp_path / "history.parquet"
    history.write_parquet(single)
    cuts = np.sort(rng.choice(np.arange(1, rows), size=3, replace=False))
    sizes = tuple(int(x) for x in np.diff([0, *cuts, rows]))
    parts = split_parts(history, tmp_path / "parts", sizes)
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(random_strategy(seed), encoding="utf-8")
    return single, parts, strategy


@pytest.mark.parametrize(("seed", "sampled"), [(0, False), (1, True), (2, True)])
def test_cluster_suggests_what_one_machine_suggests(
    address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, sampled: bool
) -> None:
    if sampled:  # the beam and the column checks then read seeded samples of the rows
        monkeypatch.setattr(window, "SAMPLE_ROWS", 1_500)
        monkeypatch.setattr(window, "BEAM_ROWS", 1_200)
    single, parts, strategy = _inputs(tmp_path, seed, 6_000)
    args = ["--budget-fpr", "0.01", "--max-rules", "3", "--seed", str(seed)]
    one = _suggest([str(strategy), "--data", str(single), *args])
    there = _suggest([str(strategy), "--data", str(parts), *args, "--scheduler", address])
    assert one["rules"], "the history holds patterns the strategy misses"
    assert_same(one, there)


def test_holdout_rows_without_a_label_and_report_need_one_machine(
    address: str, tmp_path: Path
) -> None:
    history = random_history(3, rows=3_000, unlabelled=0.05)
    data = tmp_path / "history.parquet"
    history.write_parquet(data)
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(random_strategy(3), encoding="utf-8")
    base = ["rules", "suggest", str(strategy), "--data", str(data), "--scheduler", address]
    result = CliRunner().invoke(app, [*base, "--budget-fpr", "0.01"])
    assert result.exit_code == 2
    assert "three-way label estimates run on one machine only" in result.output
    assert "run rules suggest without --scheduler" in result.output
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, [*base, "--report", str(report)])
    assert result.exit_code == 2 and "--report runs on one machine only" in result.output
    assert not report.exists()
