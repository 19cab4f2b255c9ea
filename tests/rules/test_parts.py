"""The parts of `rules suggest`: rule material, leakage, time split, candidate counts (against
the engine's own evaluation of each written condition), and the written strategy."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.errors import UsageError
from riskctl.rules.candidates import WHERE, atom_matrix, atom_texts, beam_search
from riskctl.rules.columns import not_ids, rule_columns, without_leaks
from riskctl.rules.folds import split_rows
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.load import load_strategy
from riskctl.strategy.write import add_rules

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history  # noqa: E402


def test_ids_label_time_and_excluded_columns_are_never_rule_material() -> None:
    df = random_history(0, rows=500).with_columns(
        pl.col("order_id").alias("session_token"), pl.col("amount").alias("buyer_id")
    )
    columns = not_ids(df, rule_columns(df.schema, ["is_bad", "event_time"], [], None, ["promo"]))
    assert set(columns) == {"category", "amount", "devices", "score"}
    with pytest.raises(UsageError, match="no column is left"):
        rule_columns(df.schema, ["is_bad", "event_time"], [], ["order_id"], [])
    with pytest.raises(UsageError, match="no column is left"):
        not_ids(df, rule_columns(df.schema, [], [], ["session_token"], []))
    with pytest.raises(UsageError, match="no column 'nope'"):
        rule_columns(df.schema, [], [], None, ["nope"])


def test_a_label_proxy_is_left_out_with_trains_leakage_warning() -> None:
    df = random_history(0, rows=3000)
    label = df["is_bad"].fill_null(-1).to_numpy()
    status = pl.when(pl.col("is_bad") == 1).then(pl.lit("chargeback")).otherwise(pl.lit("ok"))
    df = df.with_columns(
        (pl.col("is_bad").cast(pl.Float64) * 2 + 1).alias("refund_amount"), status.alias("status")
    )
    got = without_leaks(df, ["amount", "refund_amount", "status", "score"], label, ["score"])
    assert got.columns == ["amount", "score"]
    assert len(got.warnings) == 2
    assert all("possible leakage" in w for w in got.warnings)


def test_the_split_is_in_time_and_folds_are_consecutive() -> None:
    start = datetime(2026, 1, 1)
    times = pl.Series("t", [start + timedelta(hours=h // 2) for h in range(400)])
    split = split_rows(times, None, "2026-01-07", 4)
    cut = datetime(2026, 1, 7)
    assert (split.holdout == (times >= cut).to_numpy()).all()
    assert (split.search == (times < cut).to_numpy()).all()
    folds = split.fold[split.search]
    assert (np.diff(folds) >= 0).all() and set(folds) == {0, 1, 2, 3}
    same_time = times.to_numpy()[split.search]
    for t in np.unique(same_time):  # rows sharing a time share a fold
        assert len(set(folds[same_time == t])) == 1
    share = split_rows(times, 0.25, None, 4)
    assert share.holdout.sum() == 100
    with pytest.raises(UsageError, match="search window is empty"):
        split_rows(times, None, "2025-12-01", 4)


@pytest.mark.parametrize("seed", range(3))
def test_candidate_counts_are_the_engines_counts_of_the_written_condition(seed: int) -> None:
    df = random_history(seed, rows=3000)
    label = df["is_bad"].fill_null(-1).to_numpy()
    rng = np.random.default_rng(seed)
    open_rows = rng.random(df.height) < 0.9
    bad, good = open_rows & (label == 1), open_rows & (label == 0)
    columns = ["category", "amount", "devices", "promo", "score"]
    atoms, matrix = atom_matrix(df, atom_texts(df, columns, label))
    found = beam_search(atoms, matrix, bad, good, 40, 3)
    assert found
    for c in found[:: max(1, len(found) // 40)]:
        fires = df.select(compile_condition(c.when, df.schema, WHERE)).to_series().to_numpy()
        assert (c.bad, c.good) == (int((fires & bad).sum()), int((fires & good).sum())), c.when
        assert c.good <= 40


def test_the_written_strategy_keeps_the_files_text_and_loads(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    text = (
        "# my strategy\nname: s\nactions: [block, review, allow]   # severe first\n"
        'thresholds:\n  review: {score: 0.5}\nrules:\n  - name: a\n    when: "amount > 5"\n'
        "    action: block\nlabel: is_bad\n"
    )
    source.write_text(text, encoding="utf-8")
    rule = {"name": "suggested_1", "when": "category = 'it''s' AND x >= 1", "action": "review"}
    out = add_rules(source, tmp_path / "o.yaml", [({**rule, "mode": "shadow"}, "why\nnumbers")])
    written = out.read_text(encoding="utf-8")
    assert written.startswith(text.split("label:")[0])
    assert "  # why\n  # numbers\n  - name: suggested_1" in written
    loaded = load_strategy(out).strategy
    assert loaded.rules[-1].when == rule["when"] and loaded.rules[-1].mode == "shadow"
    assert source.read_text(encoding="utf-8") == text
