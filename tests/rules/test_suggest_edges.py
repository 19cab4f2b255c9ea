"""Edges of `rules suggest`: a holdout with no row labelled good proves nothing and is
refused in one line; a negative seed is a seed; an IP-like text column is never rule
material; suggesting again on the written strategy does not propose its rules narrowed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from riskctl.cli.app import app

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history, random_strategy  # noqa: E402


def _run(args: list[str]):
    return CliRunner().invoke(app, ["rules", "suggest", *args])


def _inputs(tmp_path: Path, history: pl.DataFrame, seed: int = 0) -> tuple[str, str]:
    data, strategy = tmp_path / "history.parquet", tmp_path / "strategy.yaml"
    history.write_parquet(data)
    strategy.write_text(random_strategy(seed), encoding="utf-8")
    return str(strategy), str(data)


def test_a_holdout_with_no_good_label_is_refused(tmp_path: Path) -> None:
    history = random_history(1)
    later = pl.col("event_time") >= pl.col("event_time").quantile(0.7)
    history = history.with_columns(
        pl.when(later).then(None).otherwise(pl.col("is_bad")).alias("is_bad")
    )
    strategy, data = _inputs(tmp_path, history, 1)
    out = tmp_path / "suggested.yaml"
    result = _run([strategy, "--data", data, "--budget-fpr", "0.01", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "no row labelled good" in result.output and len(result.output.strip().splitlines()) <= 2
    assert not out.exists()


def test_a_negative_seed_is_a_seed(tmp_path: Path) -> None:
    strategy, data = _inputs(tmp_path, random_history(2))
    args = [strategy, "--data", data, "--budget-fpr", "0.01", "--seed", "-5", "--json"]
    first, second = _run(args), _run(args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout


def test_an_ip_like_column_is_never_rule_material(tmp_path: Path) -> None:
    history = random_history(3, rows=8_000)
    rng = np.random.default_rng(3)
    bad = history["is_bad"].fill_null(0).to_numpy() == 1
    # ring IPs: a few addresses carry many bad rows; 2,000 others, a distinct value on about
    # a quarter of the rows (not most of them)
    ips = np.array([f"10.0.{k // 250}.{k % 250}" for k in rng.integers(0, 2_000, len(bad))])
    ring = bad & (rng.random(len(bad)) < 0.4)  # not a label proxy: most bad rows elsewhere
    ips[ring] = rng.choice(["6.6.6.1", "6.6.6.2", "6.6.6.3"], ring.sum())
    strategy, data = _inputs(tmp_path, history.with_columns(ip=pl.Series(ips)), 3)
    result = _run([strategy, "--data", data, "--budget-fpr", "0.01", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert "ip" not in found["columns"]
    assert not any("ip" in r["when"].split() for r in found["rules"])


def test_suggesting_again_does_not_narrow_its_own_rules(tmp_path: Path) -> None:
    strategy, data = _inputs(tmp_path, random_history(4), 4)
    written = tmp_path / "suggested.yaml"
    args = ["--data", data, "--budget-fpr", "0.01", "--json"]
    first = _run([strategy, *args, "--out", str(written)])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["rules"]
    again = _run([str(written), *args])
    assert again.exit_code == 0, again.output
    for rule in json.loads(again.stdout)["rules"]:  # none lies inside a shadow suggestion
        assert not any(v == rule["hits"] for v in rule["overlap"].values()), rule


def test_refused_settings_name_their_fix(tmp_path: Path) -> None:
    strategy, data = _inputs(tmp_path, random_history(5), 5)
    cases = [
        (["--holdout-from", "2026-02-10T00:00:00+02:00"], "UTC offset"),
        (["--folds", "100000", "--min-folds", "1"], "more periods than"),
        (["--attack", "is_bad"], "is the label, the time"),
        (["--attack", "event_time"], "is the label, the time"),
    ]
    for extra, words in cases:
        result = _run([strategy, "--data", data, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert words in result.output, (extra, result.output)


def test_a_strategy_that_stops_every_bad_row_says_so(tmp_path: Path) -> None:
    history = random_history(6)
    data, strategy = tmp_path / "history.parquet", tmp_path / "strategy.yaml"
    history.write_parquet(data)
    strategy.write_text(
        "name: all\nactions: [block, review, allow]\nthresholds:\n  block: {score: 0.0}\n"
        "label: is_bad\ntime: event_time\n",
        encoding="utf-8",
    )
    result = _run([str(strategy), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["rules"] == []
    assert any("already stops every bad row" in w for w in found["warnings"])


def test_an_odd_value_leaves_the_columns_other_values_usable() -> None:
    from riskctl.rules.candidates import atom_texts

    rng = np.random.default_rng(7)
    n = 3_000
    values = rng.choice(["a", "b", "c", "d", "e", "f\u202eg"], n)
    label = ((values == "f\u202eg") | (values == "b") | (values == "c")) & (rng.random(n) < 0.8)
    table = pl.DataFrame({"v": values})
    atoms = [a.sql for a in atom_texts(table, ["v"], label.astype(np.int8))]
    lists = [a for a in atoms if " IN (" in a]
    assert lists and all("\u202e" not in a for a in atoms)
    assert any("'b'" in a and "'c'" in a for a in lists)
