"""The greedy choice charges a rule whose false positives rise through the search periods
where that trend leads (checked against numpy's weighted least squares), and keeps the set
within the budget in the latest period: a rule that the pooled rate would let in, but whose
false positives grow, or that is over the budget in the latest period, is refused."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.rules.candidates import Candidate
from riskctl.rules.select import SHARES, PoolCounts, choose_rules, projected, select_rules


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


def _counts(new: list[list[tuple[int, ...]]]) -> PoolCounts:
    """Per candidate and period: bad, good (and unlabelled: 0 unless given) rows."""
    full = [[(*cell, 0)[:3] for cell in periods] for periods in new]
    k = len(new)
    fires = np.full(k, 10_000)
    outside = np.full((k, 1), 10_000)
    return PoolCounts(outside, np.array(full, dtype=np.int64), fires, np.array([False]))


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


def test_rows_with_no_usable_label_are_charged_as_good() -> None:
    goods = np.full(4, 25_000)
    # 10 good a period, cheap; but 60 unlabelled rows a period: at worst 70 good (0.0028)
    murky = [(40, 10, 60)] * 4
    clear = [(30, 10, 0)] * 4
    counts = _counts([murky, clear])
    chosen = select_rules(_pool(2), lambda _: counts, goods, 0.002, 1, 3)
    assert [c.candidate.when for c in chosen] == ["x1 > 0"]
    roomy = select_rules(_pool(2), lambda _: counts, goods, 0.01, 1, 3)
    assert [(c.candidate.when, c.good, c.unknown) for c in roomy] == [("x0 > 0", 40, 240)]


def test_a_candidate_inside_an_existing_rule_only_repeats_it() -> None:
    goods = np.full(4, 25_000)
    counts = _counts([[(30, 2)] * 4, [(20, 2)] * 4])
    fires, active = np.array([100, 100]), np.array([False])
    inside = PoolCounts(np.array([[0], [5]]), counts.new, fires, active)  # 0: all in the rule
    chosen = select_rules(_pool(2), lambda _: inside, goods, 0.002, 2, 3)
    assert [c.candidate.when for c in chosen] == ["x1 > 0"]
    # 95 of 100 rows inside: an active rule is extended, a shadow rule repeated
    mostly = np.array([[5], [50]])
    extends = PoolCounts(mostly, counts.new, fires, active)
    assert len(select_rules(_pool(2), lambda _: extends, goods, 0.002, 2, 3)) == 2
    narrows = PoolCounts(mostly, counts.new, fires, np.array([True]))
    chosen = select_rules(_pool(2), lambda _: narrows, goods, 0.002, 2, 3)
    assert [c.candidate.when for c in chosen] == ["x1 > 0"]


def test_choosing_over_shares_of_the_budget_never_stops_fewer_bad_rows() -> None:
    goods = np.full(4, 25_000)
    better = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        k = int(rng.integers(2, 8))
        bad = rng.integers(3, 80, (k, 4))
        good = rng.binomial(25_000, rng.uniform(0.0, 0.0015, (k, 1)), (k, 4))
        counts = _counts([list(zip(b, g, strict=True)) for b, g in zip(bad, good, strict=True)])
        pool, budget = _pool(k), 0.002

        def total(chosen: list) -> int:
            return sum(c.bad for c in chosen)

        got = choose_rules(pool, lambda _, c=counts: c, goods, budget, 3, 3)
        for share in SHARES:
            alone = select_rules(pool, lambda _, c=counts: c, goods, budget * share, 3, 3)
            assert total(got) >= total(alone)
        better += total(got) > total(select_rules(pool, lambda _, c=counts: c, goods, budget, 3, 3))
    assert better > 0  # the broadest rule first is not always best
