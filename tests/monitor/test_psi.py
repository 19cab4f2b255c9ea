"""PSI: hand-computed small cases, and a row-by-row oracle on random data."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.model.bins import Bins, reference_bins
from riskctl.model.detector import Detector
from riskctl.monitor.psi import FLOOR, column_drift, psi, stored_bins

F = FLOOR


def test_numeric_hand_computation() -> None:
    ref = pl.Series("x", list(range(1, 11)), dtype=pl.Int64)
    cur = pl.Series("x", [1, 1, 1, 1, 5, 5, 5, 5, None, None], dtype=pl.Int64)
    bins = reference_bins(ref)
    # deciles of 1..10 (linear interpolation): 1.9, 2.8, ..., 9.1: one value per bin
    assert bins.edges == pytest.approx([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1])
    d = column_drift("x", cur, ref)
    assert d.reference_share == pytest.approx([0.1] * 10 + [0.0])
    assert d.current_share == pytest.approx([0.4, 0, 0, 0, 0.4, 0, 0, 0, 0, 0, 0.2])
    expected = (
        2 * (0.4 - 0.1) * math.log(0.4 / 0.1)
        + 8 * (F - 0.1) * math.log(F / 0.1)
        + (0.2 - F) * math.log(0.2 / F)
    )
    assert d.psi == pytest.approx(expected, rel=1e-12)
    assert d.missing_reference == 0 and d.missing_current == pytest.approx(0.2)


def test_values_on_an_edge_fall_in_the_lower_bin() -> None:
    bins = Bins("x", "numeric", edges=(1.0, 2.0))
    counts = bins.count(pl.Series("x", [0.5, 1.0, 1.5, 2.0, 2.5, float("nan"), None]))
    assert counts.tolist() == [2, 2, 1, 2]


def test_categorical_hand_computation() -> None:
    ref = pl.Series("c", ["a", "a", "b", None])
    cur = pl.Series("c", ["a", "z", "z", None])
    d = column_drift("c", cur, ref)
    assert d.labels == ["a", "b", "(unseen)", "(missing)"]
    expected = (
        (0.25 - 0.5) * math.log(0.25 / 0.5)
        + (F - 0.25) * math.log(F / 0.25)
        + (0.5 - F) * math.log(0.5 / F)
        + 0.0
    )
    assert d.psi == pytest.approx(expected, rel=1e-12)
    assert d.unseen_share == pytest.approx(0.5) and d.unseen_values == [("z", 2)]


def test_booleans_are_categories_and_identical_data_has_zero_psi() -> None:
    s = pl.Series("b", [True, False, True, None])
    d = column_drift("b", s, s)
    assert d.kind == "categorical" and d.psi == 0.0
    assert d.labels == ["false", "true", "(unseen)", "(missing)"]


def test_distinct_edges_on_a_lumpy_column() -> None:
    ref = pl.Series("n", [0] * 80 + [1] * 15 + [7] * 5)
    bins = reference_bins(ref)
    assert list(bins.edges) == sorted(set(bins.edges))
    assert bins.edges[0] == 0 and len(bins.edges) < 9


def test_empty_sides_have_no_psi() -> None:
    assert psi(np.array([0, 0]), np.array([1, 2])) is None


def _quantile(sorted_values: list[float], q: float) -> float:
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (pos - lo) * (sorted_values[hi] - sorted_values[lo])


def _oracle(ref: list[float | None], cur: list[float | None]) -> float:
    known = sorted(v for v in ref if v is not None)
    edges = sorted({_quantile(known, k / 10) for k in range(1, 10)}) if known else []

    def slot(v: float | None) -> int:
        if v is None:
            return len(edges) + 1
        return sum(1 for e in edges if v > e)

    total = 0.0
    for b in range(len(edges) + 2):
        p = max(sum(slot(v) == b for v in ref) / len(ref), F)
        q = max(sum(slot(v) == b for v in cur) / len(cur), F)
        total += (q - p) * math.log(q / p)
    return total


values = st.lists(
    st.one_of(st.none(), st.integers(-5, 5).map(float), st.floats(-100, 100, width=32)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(ref=values, cur=values)
def test_psi_matches_a_row_by_row_oracle(ref: list, cur: list) -> None:
    d = column_drift(
        "x", pl.Series("x", cur, dtype=pl.Float64), pl.Series("x", ref, dtype=pl.Float64)
    )
    assert d.psi == pytest.approx(_oracle(ref, cur), rel=1e-9, abs=1e-12)


def test_detector_stores_training_bins(detector: Detector, history: pl.DataFrame) -> None:
    stored = stored_bins(detector.manifest)
    assert set(stored) == set(detector.feature_names)
    train_rows = detector.manifest["split"]["train_rows"]
    for name, bins in stored.items():
        assert sum(bins.counts) == train_rows
        # the stored training counts stand in for a reference table
        d = column_drift(name, history[name], None, bins)
        assert d.bins_from == "detector" and d.psi is not None and d.psi < 0.1, name
    assert stored["category"].kind == "categorical"
    assert stored["amount"].kind == "numeric" and len(stored["amount"].edges) == 9
