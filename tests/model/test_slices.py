"""Splits, bootstrap replicates and calibration maps against slow obvious oracles."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from riskctl.errors import DataError, DetectorError, UsageError
from riskctl.model.bootstrap import bootstrap_intervals, score_units, unit_metrics
from riskctl.model.calibrate import ScoreCalibration, fit_calibration
from riskctl.model.split import TEST, TRAIN, check_fractions, group_components, split_rows

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def _components_oracle(rows: list[tuple]) -> list[int]:
    """Union-find, row by row: rows sharing a non-missing value in any column are joined."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for c in range(len(rows[0]) if rows else 0):
        first: dict = {}
        for i, r in enumerate(rows):
            if r[c] is None:
                continue
            if r[c] in first:
                parent[find(i)] = find(first[r[c]])
            else:
                first[r[c]] = i
    return [find(i) for i in range(len(rows))]


values = st.one_of(st.none(), st.integers(0, 6))


@SETTINGS
@given(st.lists(st.tuples(values, values), min_size=1, max_size=40))
def test_group_components_match_union_find(rows) -> None:
    df = pl.DataFrame({"a": [r[0] for r in rows], "b": [r[1] for r in rows]})
    got = group_components(df, ("a", "b"))
    want = _components_oracle(rows)
    # the same partition, numbered by first row
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (got[i] == got[j]) == (want[i] == want[j])
    firsts = [int(np.flatnonzero(got == c)[0]) for c in range(got.max() + 1)]
    assert firsts == sorted(firsts)


@SETTINGS
@given(st.integers(0, 10_000), st.sampled_from(["time", "random"]))
def test_no_group_value_lands_on_two_sides(seed, kind) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    df = pl.DataFrame({"device": rng.integers(0, 150, n), "card": rng.integers(0, 400, n)})
    y = np.r_[np.ones(60), np.zeros(n - 60)][rng.permutation(n)]
    try:
        split = split_rows(df, y, kind, (0.2, 0.2), seed, ("device",))
    except DataError:
        return  # a slice without bad rows is refused, never returned
    sides = df.with_columns(s=pl.Series(split.slice)).group_by("device").agg(pl.col("s").n_unique())
    assert sides["s"].max() == 1
    counts = np.bincount(split.slice, minlength=3)
    assert abs(counts[TEST] / n - 0.2) < 0.1 and counts[TRAIN] > 0


def test_time_split_without_groups_is_the_latest_rows() -> None:
    y = np.tile([1, 0, 0, 0, 0], 20)
    split = split_rows(pl.DataFrame({"x": range(100)}), y, "time", (0.2, 0.2), 0)
    assert split.slice.tolist() == [0] * 60 + [1] * 20 + [2] * 20


def test_random_split_is_stratified_and_seeded() -> None:
    y = np.r_[np.ones(100), np.zeros(900)]
    a = split_rows(pl.DataFrame({"x": range(1000)}), y, "random", (0.2, 0.2), 3)
    b = split_rows(pl.DataFrame({"x": range(1000)}), y, "random", (0.2, 0.2), 3)
    assert np.array_equal(a.slice, b.slice)
    for s in range(3):
        assert y[a.slice == s].mean() == pytest.approx(0.1, abs=0.005)


def test_fractions_are_checked() -> None:
    with pytest.raises(UsageError, match="--test-fraction"):
        check_fractions(0.2, 0.6)
    with pytest.raises(UsageError, match="at least 30%"):
        check_fractions(0.4, 0.4)


@SETTINGS
@given(st.integers(0, 10_000))
def test_compressed_replicates_match_sklearn_row_by_row(seed) -> None:
    """Any row weights, summed into units, give exactly the metrics scikit-learn computes
    from the rows themselves: the compression loses nothing."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    s = np.round(rng.random(n), 1)  # ties on purpose
    y = (rng.random(n) < 0.4).astype(np.float64)
    y[:2] = [0, 1]
    w = rng.poisson(1.0, size=(3, n)).astype(np.float64)
    w[:, :2] = 1  # both classes in every replicate
    units = score_units(s, y)
    n_units = len(units.bad)
    bad = np.stack([np.bincount(units.unit, weights=r * y, minlength=n_units) for r in w])
    good = np.stack([np.bincount(units.unit, weights=r * (1 - y), minlength=n_units) for r in w])
    got = unit_metrics(bad, good, (0.1,))
    for r in range(3):
        assert got["roc_auc"][r] == pytest.approx(roc_auc_score(y, s, sample_weight=w[r]))
        assert got["pr_auc"][r] == pytest.approx(average_precision_score(y, s, sample_weight=w[r]))
        ok = [
            t
            for t in np.unique(s)
            if (w[r] * (s >= t) * (1 - y)).sum() <= 0.1 * (w[r] * (1 - y)).sum() + 1e-12
        ]
        best = max([(w[r] * (s >= t) * y).sum() / (w[r] * y).sum() for t in ok] + [0.0])
        assert got["catch_rate_at_fpr.0.1"][r] == pytest.approx(best)


def test_units_are_bad_scores_and_the_good_runs_between_them() -> None:
    s = np.array([0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5, 0.4])
    y = np.array([1, 0, 1, 0, 0, 0, 1, 0])
    units = score_units(s, y)
    assert units.unit.tolist() == [0, 1, 1, 2, 2, 3, 3, 4]
    assert units.bad.tolist() == [1, 1, 0, 1, 0] and units.good.tolist() == [0, 1, 2, 1, 1]


@SETTINGS
@given(st.integers(0, 10_000))
def test_calibration_maps_match_sklearn(seed) -> None:
    rng = np.random.default_rng(seed)
    raw = np.round(rng.beta(1, 4, 400), 3)
    y = (rng.random(400) < np.sqrt(raw)).astype(np.float64)
    probe = np.r_[rng.random(100), -0.5, 2.0, raw]
    iso = fit_calibration("isotonic", raw, y)
    oracle = IsotonicRegression(out_of_bounds="clip").fit(raw, y)
    assert np.allclose(iso.apply(probe), oracle.predict(probe), atol=1e-12)
    platt = fit_calibration("platt", raw, y)
    z = np.log(np.clip(raw, 1e-7, 1 - 1e-7) / (1 - np.clip(raw, 1e-7, 1 - 1e-7)))
    lr = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(z[:, None], y)
    assert platt.a == pytest.approx(lr.coef_[0, 0], rel=1e-4, abs=1e-6)
    assert platt.b == pytest.approx(lr.intercept_[0], rel=1e-4, abs=1e-6)
    for fitted in (iso, platt):
        again = ScoreCalibration.from_dict(fitted.to_dict(), "det")
        assert np.array_equal(again.apply(probe), fitted.apply(probe))


def test_platt_converges_where_full_newton_steps_overshoot() -> None:
    """Scores of exactly 0 sit at logit -16: undamped Newton steps diverge on this sample."""
    rng = np.random.default_rng(434)
    raw = np.round(rng.beta(1, 4, 400), 3)
    y = (rng.random(400) < np.sqrt(raw)).astype(np.float64)
    platt = fit_calibration("platt", raw, y)
    z = np.log(np.clip(raw, 1e-7, 1 - 1e-7) / (1 - np.clip(raw, 1e-7, 1 - 1e-7)))
    lr = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(z[:, None], y)
    assert platt.a == pytest.approx(lr.coef_[0, 0], rel=1e-4, abs=1e-6)
    assert platt.b == pytest.approx(lr.intercept_[0], rel=1e-4, abs=1e-6)


@pytest.mark.parametrize(
    "stored",
    [
        {"method": "isotonic", "x": [0.2, 0.1], "y": [0.0, 1.0]},
        {"method": "isotonic", "x": [0.1, 0.2], "y": [0.5, 0.1]},
        {"method": "isotonic", "x": [0.1], "y": [1.5]},
        {"method": "isotonic", "x": [0.1, float("nan")], "y": [0.1, 0.2]},
        {"method": "isotonic", "x": "0.1", "y": [0.1]},
        {"method": "platt", "a": 1.0},
        {"method": "pickle", "a": 1.0, "b": 0.0},
        ["isotonic"],
    ],
)
def test_malformed_calibrations_are_refused(stored) -> None:
    with pytest.raises(DetectorError, match="malformed score calibration"):
        ScoreCalibration.from_dict(stored, "det")


def test_groups_of_one_resample_like_rows() -> None:
    rng = np.random.default_rng(3)
    s, y = rng.random(3_000), (rng.random(3_000) < 0.05).astype(int)
    alone = bootstrap_intervals(s, y, (0.01,), clusters=np.arange(3_000) * 7, reps=200)
    assert alone == bootstrap_intervals(s, y, (0.01,), reps=200)
    # rings of ten rows alike (same label, nearly the same score): ten times fewer
    # independent observations, so a wider interval than rows drawn alone
    rings = np.arange(3_000) // 10
    ring_y = np.repeat((rng.random(300) < 0.2).astype(int), 10)
    ring_s = np.repeat(rng.random(300), 10) + 1e-3 * rng.random(3_000) + 0.3 * ring_y
    grouped = bootstrap_intervals(ring_s, ring_y, (0.01,), clusters=rings)
    rowwise = bootstrap_intervals(ring_s, ring_y, (0.01,))
    assert np.diff(grouped["roc_auc"]) > 1.5 * np.diff(rowwise["roc_auc"])
