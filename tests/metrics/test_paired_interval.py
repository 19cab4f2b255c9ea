"""Newcombe's hybrid score interval for a change of a proportion measured on the same rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.metrics.intervals import Z95, paired_proportions

# Newcombe (1998), Statistics in Medicine 17:2635, worked examples of method 10: the table
# (both, first only, second only, neither) and the published interval of first minus second.
NEWCOMBE = [
    ((36, 12, 2, 0), 0.2, (0.0569, 0.3404)),
    ((2, 98, 0, 0), 0.98, (0.9178, 0.9945)),
    ((0, 30, 0, 0), 1.0, (0.8395, 1.0)),
]
# Tables where ad - bc > 0, so Newcombe's reduction of it by n/2 in phi moves the interval:
# the values of the reference implementation of Fagerland, Lydersen and Laake ("Statistical
# Analysis of Contingency Tables", chapter 8: R package contingencytables).
CORRELATED = [
    ((59, 6, 16, 80), (-0.1186, -0.0046)),
    ((1, 1, 7, 12), (-0.5069, -0.0256)),
]


def first_minus_second(both: int, first: int, second: int, neither: int):
    """The interval of the table's first proportion minus its second. riskctl's baseline is
    the first, its candidate the second, and it reports candidate minus baseline."""
    d = paired_proportions(both, first, second, neither)
    return -d.value, -d.high, -d.low


@pytest.mark.parametrize(("table", "diff", "interval"), NEWCOMBE)
def test_newcombe_published_examples(table, diff, interval) -> None:
    value, low, high = first_minus_second(*table)
    assert value == pytest.approx(diff, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == interval


@pytest.mark.parametrize(("table", "interval"), CORRELATED)
def test_phi_is_corrected_as_in_the_paper(table, interval) -> None:
    _, low, high = first_minus_second(*table)
    assert (round(low, 4), round(high, 4)) == interval


@pytest.mark.parametrize(
    ("table", "interval"),
    [
        ((0, 1, 0, 0), (-1.0, 0.1221)),  # one bad row, the candidate lets it through
        ((0, 3, 0, 0), (-1.0, -0.2059)),
        ((1, 19, 0, 0), (-0.9911, -0.7038)),
    ],
)
def test_every_swap_one_way_still_has_width(table, interval) -> None:
    """The Wald interval of the mean per-row difference gives [-1, -1] for the first and
    [-1.048, -0.852] (below -1) for the last."""
    d = paired_proportions(*table)
    assert (round(d.low, 4), round(d.high, 4)) == interval


def test_no_rows_no_interval() -> None:
    d = paired_proportions(0, 0, 0, 0)
    assert math.isnan(d.value) and math.isnan(d.low) and math.isnan(d.high)


def test_no_swapped_rows_is_not_certainty() -> None:
    d = paired_proportions(3, 0, 0, 1)
    assert d.value == 0.0 and d.low < 0 < d.high


tables = st.tuples(*[st.integers(0, 60)] * 4)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(tables)
def test_interval_properties(table) -> None:
    both, base_only, cand_only, neither = table
    n = sum(table)
    d = paired_proportions(*table)
    if n == 0:
        assert math.isnan(d.low)
        return
    assert d.value == pytest.approx((cand_only - base_only) / n, abs=1e-15)
    assert -1.0 <= d.low <= d.value <= d.high <= 1.0
    assert d.high - d.low > 0
    # the strategies' roles swapped: the interval of the negated change
    s = paired_proportions(both, cand_only, base_only, neither)
    assert (s.value, s.low, s.high) == pytest.approx((-d.value, -d.high, -d.low), abs=1e-12)
    # labels of the two flags swapped (flagged <-> not flagged): the same change, negated
    f = paired_proportions(neither, cand_only, base_only, both)
    assert (f.value, f.low, f.high) == pytest.approx((-d.value, -d.high, -d.low), abs=1e-12)


def _wald(both: int, base_only: int, cand_only: int, neither: int) -> tuple[float, float]:
    """The interval this one replaced: Wald's, of the mean per-row difference."""
    n = both + base_only + cand_only + neither
    mean = (cand_only - base_only) / n
    var = max(0.0, (cand_only + base_only - n * mean * mean) / (n - 1))
    return mean - Z95 * math.sqrt(var / n), mean + Z95 * math.sqrt(var / n)


# (both, baseline only, candidate only, neither) cell probabilities of a row
CASES = [
    (0.75, 0.15, 0.05, 0.05),  # a candidate that catches less, mostly the same rows
    (0.30, 0.10, 0.05, 0.55),
    (0.85, 0.10, 0.00, 0.05),  # every swap goes one way
    (0.05, 0.02, 0.01, 0.92),  # rare flags
]


def test_coverage_near_95_where_wald_falls_short() -> None:
    rng = np.random.default_rng(20)
    draws = 2_000
    newcombe, wald = [], []
    for n in (10, 20, 40):
        for probs in CASES:
            truth = probs[2] - probs[1]
            found, counts = np.unique(
                rng.multinomial(n, probs, size=draws), axis=0, return_counts=True
            )
            hit_n = hit_w = 0
            for table, k in zip(found.tolist(), counts.tolist(), strict=True):
                d = paired_proportions(*table)
                hit_n += k * (d.low <= truth <= d.high)
                low, high = _wald(*table)
                hit_w += k * (low - 1e-12 <= truth <= high + 1e-12)
            newcombe.append(hit_n / draws)
            wald.append(hit_w / draws)
    assert min(newcombe) >= 0.94, newcombe
    assert 0.95 <= float(np.mean(newcombe)) <= 0.995, newcombe
    assert float(np.mean(wald)) < 0.85 and min(wald) < 0.5, wald
