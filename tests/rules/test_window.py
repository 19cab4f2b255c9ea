"""The search window's summary and the candidates' cells are mergeable: a table cut into
parts anywhere, each part reduced alone (its rows drawn by their position in the whole
window), gives exactly the whole table's summary and counts. This is what lets a cluster
search the very rows one machine searches."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from riskctl.rules.draws import draws
from riskctl.rules.pool_cells import PoolCells, pool_cells
from riskctl.rules.window import SearchRows, merge_summaries, summarise

sys.path.insert(0, str(Path(__file__).parent))
from rule_histories import random_history  # noqa: E402

COLUMNS = ["category", "amount", "devices", "promo", "score"]


def _rows(seed: int, n: int) -> SearchRows:
    rng = np.random.default_rng(seed)
    table = random_history(seed, rows=n, unlabelled=0.1)
    label = table["is_bad"].fill_null(-1).to_numpy().astype(np.int8)
    fold = np.sort(rng.integers(0, 4, n))
    return SearchRows(table, label, rng.random(n) < 0.9, fold)


def _cuts(rng: np.random.Generator, n: int) -> list[int]:
    inner = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(1, 6)), replace=False))
    return [0, *inner.tolist(), n]


def _part(rows: SearchRows, a: int, b: int) -> SearchRows:
    return SearchRows(rows.table[a:b], rows.label[a:b], rows.open[a:b], rows.fold[a:b], a)


@pytest.mark.parametrize("seed", range(5))
def test_draws_of_a_part_are_the_wholes_draws_at_its_positions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 5_000))
    whole = draws(seed, 1, 0, n)
    cuts = _cuts(rng, n)
    parts = [draws(seed, 1, a, b - a) for a, b in zip(cuts, cuts[1:], strict=False)]
    assert np.array_equal(np.concatenate(parts), whole)
    assert not np.array_equal(draws(seed, 0, 0, n), whole)  # streams are independent


@pytest.mark.parametrize("seed", range(6))
def test_parts_summaries_merged_are_the_wholes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = _rows(seed, int(rng.integers(500, 4_000)))
    share = (float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.05, 1.0)))
    whole = summarise(rows, COLUMNS, share, 4, seed)
    cuts = _cuts(rng, rows.table.height)
    merged = merge_summaries(
        [
            summarise(_part(rows, a, b), COLUMNS, share, 4, seed)
            for a, b in zip(cuts, cuts[1:], strict=False)
        ]
    )
    assert merged.size == whole.size == rows.table.height
    assert np.array_equal(merged.bad, whole.bad) and np.array_equal(merged.good, whole.good)
    assert merged.sample.equals(whole.sample) and merged.beam.equals(whole.beam)
    assert np.array_equal(merged.sample_label, whole.sample_label)
    assert np.array_equal(merged.beam_label, whole.beam_label)
    # against the obvious definitions, row by row
    n = rows.table.height
    picked = [i for i in range(n) if draws(seed, 0, 0, n)[i] < share[0]]
    assert whole.sample.height == len(picked)
    beam_draw = draws(seed, 1, 0, n)
    in_beam = [
        i for i in range(n)
        if rows.open[i] and (rows.label[i] == 1 or (rows.label[i] == 0 and beam_draw[i] < share[1]))
    ]  # fmt: skip
    assert whole.beam["amount"].to_list() == rows.table["amount"].gather(in_beam).to_list()
    for f in range(4):
        assert whole.bad[f] == sum(1 for i in range(n) if rows.fold[i] == f and rows.label[i] == 1)


@pytest.mark.parametrize("seed", range(6))
def test_parts_cells_merged_count_as_the_obvious_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = _rows(seed, int(rng.integers(300, 3_000)))
    n, k = rows.table.height, int(rng.integers(1, 20))
    pool = rng.random((n, k)) < rng.uniform(0.01, 0.3, k)
    existing = np.column_stack([pool[:, 0], rng.random(n) < 0.1])
    shadow = np.array([False, True])
    whole = pool_cells(rows, pool, existing, shadow)
    cuts = _cuts(rng, n)
    merged = PoolCells.merged(
        [
            pool_cells(_part(rows, a, b), pool[a:b], existing[a:b], shadow)
            for a, b in zip(cuts, cuts[1:], strict=False)
        ]
    )
    assert merged.cells.equals(whole.cells)
    assert np.array_equal(merged.outside, whole.outside)
    assert merged.fires.tolist() == pool.sum(axis=0).tolist() == whole.fires.tolist()
    for i in range(k):  # rows the candidate fires on and the rule does not, row by row
        for j in range(2):
            assert whole.outside[i, j] == sum(
                1 for r in range(n) if pool[r, i] and not existing[r, j]
            )
    assert whole.outside[0, 0] == 0  # candidate 0 is rule 0
    for _ in range(3):
        chosen = sorted(
            rng.choice(k, size=int(rng.integers(0, min(k, 3) + 1)), replace=False).tolist()
        )
        got = merged.count(4)(chosen)
        free = rows.open & ~pool[:, chosen].any(axis=1)
        for i in range(k):  # the obvious count, row by row
            for f in range(4):
                for j, code in enumerate((1, 0, -1)):
                    expected = sum(
                        1 for r in range(n)
                        if pool[r, i] and free[r] and rows.fold[r] == f and rows.label[r] == code
                    )  # fmt: skip
                    assert got.new[i, f, j] == expected
