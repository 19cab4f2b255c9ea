"""The holdout measurement of `rules suggest` counted on a local cluster (per part: simulate's
cells and the attack counts, merged) equals, number for number, the one-machine measurement
on the same holdout rows: per rule and for the set, every count, delta, interval and
the shadow rule table's hits, precision and overlap; the attack mix. Unseen
outcomes (whose estimates need the rows) are refused, as by `simulate --scheduler`."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.rules import measure_holdout
from riskctl.errors import UsageError
from riskctl.rules.folds import split_rows
from riskctl.rules.holdout import (
    acting,
    attack_mix,
    change,
    holdout_rows,
    new_rule_stats,
    shadow_run,
)
from riskctl.simulation.simulate import run_simulation
from riskctl.strategy.decisions import FLAGGED
from riskctl.strategy.load import load_strategy
from riskctl.strategy.schema import Rule

from .conftest import assert_same, split_parts

sys.path.insert(0, str(Path(__file__).parents[1] / "rules"))
from rule_histories import random_history, random_strategy  # noqa: E402

WHENS = [
    "category = 'gift_cards' AND amount > 60",
    "devices IS NULL AND promo",
    "amount >= 300",
    "category IN ('toys', 'books') AND devices >= 3",
]


@pytest.mark.parametrize("seed", range(3))
def test_cluster_holdout_is_one_machines(address: str, tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    history = random_history(seed, rows=5_000)
    attack = rng.choice(np.array(["ato", "promo", None], dtype=object), history.height)
    history = history.with_columns(attack=pl.Series(attack.tolist(), dtype=pl.String))
    single = tmp_path / "history.parquet"
    history.write_parquet(single)
    parts = split_parts(history, tmp_path / "parts", (1_500, 2_200, 1_300))
    path = tmp_path / "strategy.yaml"
    path.write_text(random_strategy(seed), encoding="utf-8")
    loaded = load_strategy(path)
    chosen = rng.choice(len(WHENS), size=int(rng.integers(1, 4)), replace=False)
    rules = [Rule(name=f"suggested_{k + 1}", when=WHENS[i], action="review") for k, i in
             enumerate(chosen)]  # fmt: skip

    run = run_simulation(path, single, carry=history.columns)
    split = split_rows(run.table["event_time"], 0.3, None, 4)
    table = run.table.filter(pl.Series(split.holdout))
    rows = holdout_rows(table, run.roles, str(single))
    flagged = run.candidate.decisions[FLAGGED].to_numpy()[split.holdout]
    stats = new_rule_stats(shadow_run(rows, loaded, rules, run), rules)

    with Cluster(ClusterOptions(address)) as cluster:
        got = measure_holdout(
            cluster, parts, loaded, rules, split.holdout_from, (None, None, None), "attack"
        )
    assert got.rows == table.height
    for k, (rule, one, s, mine, mix) in enumerate(
        zip(rules, got.changes, stats, got.stats, got.attacks, strict=True)
    ):
        assert_same(change(rows, loaded, acting(rules, k)).to_dict(), one.to_dict())
        assert (s.hits, s.incremental_hits, s.incremental_bad, s.overlap) == (
            mine.hits, mine.incremental_hits, mine.incremental_bad, mine.overlap
        )  # fmt: skip
        assert (s.precision.value, s.precision.low, s.precision.high) == (
            mine.precision.value, mine.precision.low, mine.precision.high
        )  # fmt: skip
        assert mix == attack_mix(table, flagged, rule, "attack", "is_bad")
    assert got.together is not None
    assert_same(change(rows, loaded, acting(rules)).to_dict(), got.together.to_dict())


def test_unlabelled_holdout_rows_are_refused(address: str, tmp_path: Path) -> None:
    history = random_history(7, rows=3_000, unlabelled=0.05)
    parts = split_parts(history, tmp_path / "parts", (1_000, 1_000, 1_000))
    path = tmp_path / "strategy.yaml"
    path.write_text(random_strategy(7), encoding="utf-8")
    rules = [Rule(name="suggested_1", when="amount >= 300", action="review")]
    with Cluster(ClusterOptions(address)) as cluster, pytest.raises(UsageError) as raised:
        measure_holdout(
            cluster, parts, load_strategy(path), rules, "2026-02-10", (None, None, None)
        )
    assert "no usable label" in str(raised.value) and "one machine only" in str(raised.value)
