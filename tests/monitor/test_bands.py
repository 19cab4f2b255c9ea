"""The series' bands come from the reference's own period-to-period variation: about 95% of
stable reference periods fall inside their band, and a real shift falls outside."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from riskctl.monitor.series import PERIOD, ReferenceStats, period_series

START = datetime(2026, 1, 5)


def _periods(rng: np.random.Generator, rates: np.ndarray, side: str, first: int) -> pl.DataFrame:
    parts = []
    for k, rate in enumerate(rates):
        n = int(rng.integers(1500, 4000))
        parts.append(
            pl.DataFrame(
                {
                    PERIOD: [START + timedelta(weeks=first + k)] * n,
                    "_side": [side] * n,
                    "flagged": rng.random(n) < rate,
                    "score": rng.beta(1, 40 * 0.025 / rate, n),
                }
            )
        )
    return pl.concat(parts)


def _stable_rates(rng: np.random.Generator, k: int, spread: float) -> np.ndarray:
    """Week-to-week alert rates around 2.5%: a beta with relative spread `spread`."""
    mean = 0.025
    if not spread:
        return np.full(k, mean)
    strength = (1 - mean) / (mean * spread**2) - 1  # a beta's sd is spread * mean
    return rng.beta(mean * strength, (1 - mean) * strength, k)


def _series(frame: pl.DataFrame):
    ref = frame.filter(pl.col("_side") == "reference")
    stats = ReferenceStats(
        float(ref["score"].mean()),  # type: ignore[arg-type]
        float(ref["score"].std()),  # type: ignore[arg-type]
        float(ref["flagged"].mean()),  # type: ignore[arg-type]
        ref.height,
    )
    return period_series(frame, stats, "score", "flagged", None, None)


def _inside(value: float | None, band: tuple[float, float] | None) -> bool:
    assert value is not None and band is not None
    return band[0] <= value <= band[1]


def _coverage(spread: float, seeds: int = 60, weeks: int = 12) -> tuple[float, float]:
    alert = score = total = 0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        frame = _periods(rng, _stable_rates(rng, weeks, spread), "reference", 0)
        for p in _series(frame).points:
            alert += _inside(p.alert_rate, p.alert_band)
            score += _inside(p.mean_score, p.score_band)
            total += 1
    return alert / total, score / total


def test_about_95_percent_of_stable_overdispersed_periods_are_inside() -> None:
    # week-to-week rates from about 1.5% to 3.9%, as real weeks vary: the binomial band of
    # the pooled rate would hold well under half of them
    alert, score = _coverage(spread=0.25)
    assert 0.90 <= alert <= 0.99, alert
    assert 0.90 <= score <= 0.99, score


def test_without_extra_variation_the_band_is_the_sampling_one() -> None:
    alert, score = _coverage(spread=0.0, seeds=40)
    assert 0.90 <= alert <= 0.995, alert
    assert 0.90 <= score <= 0.995, score
    rng = np.random.default_rng(1)
    series = _series(_periods(rng, _stable_rates(rng, 12, 0.0), "reference", 0))
    assert series.alert_spread is not None and series.alert_spread.phi < 1.6


def test_a_real_shift_falls_outside_the_band() -> None:
    outside = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        reference = _periods(rng, _stable_rates(rng, 12, 0.25), "reference", 0)
        current = _periods(rng, np.full(3, 0.025 * 2.2), "current", 12)
        points = _series(pl.concat([reference, current])).points
        outside += sum(
            not _inside(p.alert_rate, p.alert_band) for p in points if p.side == "current"
        )
    assert outside >= 0.9 * 60, outside


def test_the_issue_weeks_fit_their_own_band() -> None:
    """Six reference weeks from 1.42% to 3.89%: every one inside its band."""
    rng = np.random.default_rng(5)
    rates = np.array([0.0142, 0.0389, 0.025, 0.031, 0.022, 0.028])
    frame = _periods(rng, rates, "reference", 0)
    series = _series(frame)
    assert series.alert_spread is not None and series.alert_spread.phi > 3
    assert all(_inside(p.alert_rate, p.alert_band) for p in series.points)


def test_new_stable_periods_fall_inside_about_95_percent_of_the_time() -> None:
    inside = total = 0
    for seed in range(40):
        rng = np.random.default_rng(500 + seed)
        rates = _stable_rates(rng, 16, 0.25)
        frame = pl.concat(
            [_periods(rng, rates[:12], "reference", 0), _periods(rng, rates[12:], "current", 12)]
        )
        for p in _series(frame).points:
            if p.side == "current":
                inside += _inside(p.alert_rate, p.alert_band)
                total += 1
    assert 0.90 <= inside / total <= 0.99, inside / total


def test_two_reference_periods_give_the_sampling_band_and_a_warning() -> None:
    from riskctl.monitor.run import _band_warnings

    rng = np.random.default_rng(3)
    series = _series(_periods(rng, np.array([0.0142, 0.0389]), "reference", 0))
    assert series.alert_spread is not None and not series.alert_spread.measured
    assert series.alert_spread.phi == 1.0
    assert any("too few to measure" in w for w in _band_warnings(series))
