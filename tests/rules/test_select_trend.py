"""The greedy choice charges a rule whose false positives rise through the search periods
where that trend leads (checked against numpy's weighted least squares), and keeps the set
within the budget in the latest period: a rule that the pooled rate would let in, but whose
false positives grow, or that is over the budget in the latest period, is refused."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.rules.candidates import Candidate
from riskctl.rules.select import PoolCounts, projected, select_rules


@pytest.mark.parametrize("seed", range(20))
def test_projection_is_a_weighted_line_through_the_periods(seed: int) -> None:
    rng = np.random.default_rng(seed)
    folds = int(rng.integers(2, 7))
    goods = rng.integers(1_000, 50_000, folds)
    good = rng.binomial(goods, rng.uniform(0.0005, 0.01, folds))
    x = np.arange(folds) + 0.5
    slope, intercept = np.polyfit(x, good / goods, 1, w=np.sqrt(goods))
    expected = max(0.0, intercept + slope * (folds + 1)) if slope > 0 else 0.0
    assert projected(good, goods) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_single_period_has_no_trend() -> None:
    assert projected(np.array([40]), np.array([10_000])) == 0.0


def _counts(new: list[list[tuple[int, int]]]) -> PoolCounts:
    return PoolCounts(np.zeros((len(new), 0), dtype=np.int64), np.array(new, dtype=np.int64))


def _pool(n: int) -> list[Candidate]:
    return [Candidate((i,), f"x{i} > 0", 0, 0) for i in range(n)]


def test_a_rule_whose_false_positives_grow_is_charged_their_trend() -> None:
    goods = np.full(4, 25_000)
    budget = 0.002
    # pooled 0.0012, well inside; but 0.0004, 0.0008, 0.0016, 0.002 per period: heading over
    rising = [(30, 10), (30, 20), (30, 40), (30, 50)]
    steady = [(20, 30), (20, 30), (20, 30), (20, 30)]  # pooled 0.0012 too, flat
    counts = _counts([rising, steady])
    chosen = select_rules(_pool(2), lambda _: counts, goods, budget, 1, 3)
    assert [c.candidate.when for c in chosen] == ["x1 > 0"]
    assert projected(np.array([10, 20, 40, 50]), goods) > budget  # why
    alone = select_rules(_pool(1), lambda _: _counts([rising]), goods, budget * 2, 1, 3)
    assert len(alone) == 1  # with room for the trend, it is taken


def test_the_set_stays_within_the_budget_in_the_latest_period() -> None:
    goods = np.full(4, 25_000)
    budget = 0.004
    # no trend (high at both ends) and pooled well inside, each rule within the budget in
    # every period; but together 110 of 25,000 (0.0044) in the latest period
    ends = [(50, 55), (50, 5), (50, 5), (50, 55)]
    assert projected(np.array([55, 5, 5, 55]), goods) == 0.0
    counts = _counts([ends, ends])
    chosen = select_rules(_pool(2), lambda _: counts, goods, budget, 2, 3)
    assert [c.candidate.when for c in chosen] == ["x0 > 0"]
    roomier = select_rules(_pool(2), lambda _: counts, goods, 0.0045, 2, 3)
    assert len(roomier) == 2  # with the latest period's room, both are taken
