"""Label-free estimates: exact Poisson-binomial moments, coverage on calibrated scores,
and agreement with realised metrics on stable generated history."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.monitor.estimates import expected_metrics, label_free_estimates


def _poisson_binomial(p: np.ndarray) -> np.ndarray:
    """The exact distribution of the number of successes, by convolution."""
    dist = np.array([1.0])
    for q in p:
        dist = np.convolve(dist, [1 - q, q])
    return dist


def test_expected_bad_rate_and_precision_are_exact_moments() -> None:
    rng = np.random.default_rng(1)
    s = rng.beta(0.6, 4, 60)
    flagged = s > 0.2
    est = {e.metric: e for e in expected_metrics(s, flagged)}
    dist = _poisson_binomial(s[flagged])
    k = np.arange(len(dist))
    mean = (k * dist).sum() / flagged.sum()
    sd = np.sqrt(((k / flagged.sum() - mean) ** 2 * dist).sum())
    assert est["precision"].value == pytest.approx(mean)
    assert est["precision"].sd == pytest.approx(sd)
    all_dist = _poisson_binomial(s)
    kk = np.arange(len(all_dist))
    assert est["bad_rate"].value == pytest.approx((kk * all_dist).sum() / len(s))
    assert est["alert_rate"].value == pytest.approx(flagged.mean())


def test_intervals_cover_realised_values_on_calibrated_scores() -> None:
    """Labels drawn from the scores: each 95% interval holds the realised value about 95%
    of the time."""
    rng = np.random.default_rng(5)
    hits = {"bad_rate": 0, "precision": 0, "catch_rate": 0}
    trials = 400
    for _ in range(trials):
        s = rng.beta(0.3, 8, 3000)
        flagged = s > 0.15
        y = (rng.random(len(s)) < s).astype(float)
        e = label_free_estimates("score", s, flagged, y)
        for c in e.checks:
            if c.expected.low <= c.realised <= c.expected.high:
                hits[c.metric] += 1
    for metric, n in hits.items():
        assert 0.92 <= n / trials <= 0.98, (metric, n / trials)


def test_miscalibrated_scores_are_flagged_as_disagreeing() -> None:
    rng = np.random.default_rng(2)
    s = rng.beta(0.3, 8, 20_000)
    y = (rng.random(len(s)) < np.minimum(2.5 * s, 1)).astype(float)  # outcomes moved
    e = label_free_estimates("score", s, s > 0.15, y)
    assert not all(c.agrees for c in e.checks) and e.warnings
    assert "concept drift" in e.warnings[0]


def test_rows_without_a_score_are_left_out() -> None:
    s = np.array([0.1, np.nan, 0.5])
    e = label_free_estimates("score", s, np.array([False, True, True]), np.array([0.0, 1, 1]))
    assert e.rows == 2 and e.flagged == 1
    assert e.get("bad_rate").value == pytest.approx(0.3)


def test_unlabelled_rows_count_in_estimates_not_checks() -> None:
    s = np.array([0.1, 0.9, 0.5, 0.2])
    y = np.array([0.0, 1.0, np.nan, np.nan])
    e = label_free_estimates("score", s, s > 0.4, y)
    assert e.rows == 4 and e.unlabelled == 2 and e.flagged == 2
    assert all(c.rows == 2 for c in e.checks)
    assert e.get("bad_rate").value == pytest.approx(0.425)


@pytest.mark.slow
def test_estimates_match_realised_metrics_on_stable_data(tmp_path) -> None:
    """A detector trained on a random half of a history; the other half is 'recent' data
    from the same distribution: every realised metric lies in its estimate's interval."""
    import polars as pl

    from riskctl.data.io import write_table
    from riskctl.model.train import train_detector
    from riskctl.monitor.run import MonitorOptions, run_monitor
    from riskctl.synth.generate import generate_history

    history = generate_history(rows=40_000, seed=23, days=60).with_row_index("_i")
    half = pl.col("_i") % 2 == 0
    train = write_table(history.filter(half).drop("_i"), tmp_path / "train.parquet")
    recent = write_table(history.filter(~half).drop("_i"), tmp_path / "recent.parquet")
    det = train_detector(
        train, label="is_bad", exclude=["attack", "event_time"], out=tmp_path / "det", seed=3
    ).detector
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.3}}\nlabel: is_bad\n",
        encoding="utf-8",
    )
    r = run_monitor(MonitorOptions(recent, None, det.path, strategy, sample=0))
    assert r.estimates is not None and len(r.estimates.checks) == 3
    for c in r.estimates.checks:
        assert c.expected.low <= c.realised <= c.expected.high, c
    assert r.estimates.warnings == []


def test_calibration_uncertainty_matches_a_simulation() -> None:
    """Scores whose calibration is off by a random factor per bin: the estimate's standard
    deviation is that of the realised values over many draws."""
    from riskctl.monitor.estimates import Calibration

    rng = np.random.default_rng(8)
    s = rng.beta(0.5, 6, 4000)
    flagged = s > 0.2
    cal = Calibration(edges=(0.1, 0.3, 0.6), rel_var=(0.01, 0.04, 0.0025, 0.09))
    est = {e.metric: e for e in expected_metrics(s, flagged, cal)}
    bins = cal.bin_of(s)
    draws: dict[str, list[float]] = {"bad_rate": [], "precision": [], "catch_rate": []}
    for _ in range(3000):
        factor = 1 + rng.normal(0, np.sqrt(cal.rel_var))[bins]
        y = rng.random(len(s)) < np.clip(s * factor, 0, 1)
        draws["bad_rate"].append(y.mean())
        draws["precision"].append(y[flagged].mean())
        draws["catch_rate"].append(y[flagged].sum() / y.sum())
    for metric, values in draws.items():
        assert np.mean(values) == pytest.approx(est[metric].value, rel=0.02), metric
        assert np.std(values) == pytest.approx(est[metric].sd, rel=0.1), metric
