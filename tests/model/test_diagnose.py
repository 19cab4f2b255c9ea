"""Each evaluation warning: when it fires, when it does not, and the exact text it gives."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.model import diagnose
from riskctl.model.bootstrap import bootstrap_intervals
from riskctl.model.quality import FPR_TARGETS, calibration_error, calibration_table


def _period(name: str, rows: int, bad: int, test_rows: int = 0, test_bad: int = 0) -> dict:
    return {
        "period": name,
        "rows": rows,
        "bad": bad,
        "bad_rate": bad / rows,
        "test_rows": test_rows,
        "test_bad": test_bad,
    }


def test_rate_spread_names_the_unusual_periods() -> None:
    periods = [
        _period("2026-01-05", 100, 80),
        _period("2026-01-12", 100, 61),
        *(_period(f"2026-02-0{i}", 100, 5) for i in range(1, 8)),
        _period("2026-03-02", 10, 0),  # too small to count
    ]
    (found,) = diagnose.rate_spread(periods, "weekly")
    assert found.code == "bad-rate-varies"
    assert found.message == (
        "the bad rate varies 16.0x across weekly periods, from 5.00% (2026-02-01) to 80.00% "
        "(2026-01-05); median 5.00%, pooled 19.56%; unusual periods: 2026-01-05 (80.00%), "
        "2026-01-12 (61.00%) (chi-square p < 0.001 over 9 periods with enough rows). A burst "
        "or a labelling change can carry the whole result: read the per-period test metrics."
    )
    assert "2026-03-02" not in found.message
    flat = [_period(f"2026-02-0{i}", 100, 4 + i % 2) for i in range(1, 8)]
    assert diagnose.rate_spread(flat, "weekly") == []


def test_rate_spread_says_when_the_latest_period_is_lowest() -> None:
    periods = [_period(f"2026-02-0{i}", 400, 40) for i in range(1, 6)] + [
        _period("2026-02-09", 400, 2)
    ]
    (found,) = diagnose.rate_spread(periods, "weekly")
    assert found.message.endswith("its labels may not have matured yet.")


def _weeks(rows: np.ndarray, rates: np.ndarray, seed: int, test_from: int = 0) -> list[dict]:
    """Periods with binomial bad counts; periods from `test_from` on are all test rows."""
    bad = np.random.default_rng(seed).binomial(rows, rates)
    return [
        _period(f"w{i:03d}", int(n), int(b), *((int(n), int(b)) if i >= test_from else (0, 0)))
        for i, (n, b) in enumerate(zip(rows, bad, strict=True))
    ]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("rows", [300, 1_000, 5_000])
def test_stable_history_stays_quiet(seed: int, rows: int) -> None:
    """Same bad rate every week: no period warning, whatever the seed and size."""
    rng = np.random.default_rng(seed)
    weeks = int(rng.integers(6, 30))
    sizes = rng.integers(rows // 2, rows * 2, size=weeks)
    periods = _weeks(sizes, np.full(weeks, 0.02), seed, test_from=weeks // 2)
    assert diagnose.rate_spread(periods, "weekly") == []
    assert diagnose.carrying_run(periods) is None
    assert diagnose.single_test_period(periods, "weekly") == []


@pytest.mark.parametrize("seed", range(10))
def test_small_months_do_not_make_the_bad_rate_vary(seed: int) -> None:
    """Months of 42 to 70 rows at a 3% bad rate: the spread of their rates is noise."""
    rng = np.random.default_rng(seed)
    periods = _weeks(rng.integers(42, 71, size=12), np.full(12, 0.03), seed, test_from=9)
    assert diagnose.rate_spread(periods, "monthly") == []
    assert diagnose.carrying_run(periods) is None


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("rows", [800, 3_000, 20_000])
def test_a_real_burst_makes_the_bad_rate_vary(seed: int, rows: int) -> None:
    rates = np.full(16, 0.01)
    rates[3:5] = 0.08
    periods = _weeks(np.full(16, rows), rates, seed)
    (found,) = diagnose.rate_spread(periods, "weekly")
    assert "w003 (" in found.message and "w004 (" in found.message


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("rows", [600, 2_000, 10_000])
def test_a_burst_over_three_weeks_carries_the_test_slice(seed: int, rows: int) -> None:
    """No week holds more than 31% of the test bad rows, yet the three together hold most."""
    rates = np.full(12, 0.005)
    rates[5:8] = 0.03
    periods = _weeks(np.full(12, rows), rates, seed)
    test = [p["test_bad"] for p in periods]
    assert max(test) <= 0.31 * sum(test) or rows < 1_000  # the shape the warning must catch
    burst = diagnose.carrying_run(periods)
    assert burst is not None  # the burst weeks, and a noisy neighbour at most on each side
    assert {"w005", "w006", "w007"} <= set(burst.periods) and len(burst.periods) <= 5
    (found,) = diagnose.carried_by_a_burst(burst, 0.795, 0.545, "weekly")
    assert found.code == "carried-by-a-burst"
    first, last = burst.periods[0], burst.periods[-1]
    assert f"{len(burst.periods)} consecutive weekly periods, {first} to {last}" in found.message
    assert found.message.endswith("the test ROC AUC is 0.795 overall and 0.545 outside it")


def test_one_period_carrying_the_test_bad_rows() -> None:
    periods = [
        _period("2026-03-02", 500, 10, 500, 10),
        _period("2026-03-09", 500, 60, 500, 60),
        _period("2026-03-16", 500, 10, 500, 10),
    ]
    burst = diagnose.carrying_run(periods)
    assert burst is not None and burst.periods == ("2026-03-09",)
    (found,) = diagnose.carried_by_a_burst(burst, 0.8, None, "weekly")
    assert found.message.startswith(
        "60 of the 80 test bad rows (75%) fall in one weekly period, 2026-03-09, holding "
        "33% of the test rows (bad rate 12.00% against 2.00% in the other test periods; p = "
    )
    assert found.message.endswith("too few bad rows to measure the ROC AUC without it")
    periods[1] = _period("2026-03-09", 500, 20, 500, 20)
    assert diagnose.carrying_run(periods) is None


def test_a_single_test_period_says_so_instead_of_firing() -> None:
    periods = [_period("2026-03-02", 5_000, 100), _period("2026-03-09", 500, 60, 500, 60)]
    assert diagnose.carrying_run(periods) is None
    (found,) = diagnose.single_test_period(periods, "daily")
    assert found.code == "single-test-period"
    assert "falls in one daily period, 2026-03-09" in found.message


def test_too_few_test_bad_rows_never_carry() -> None:
    periods = [_period("a", 500, 1, 500, 1), _period("b", 500, 12, 500, 12)]
    assert diagnose.carrying_run(periods) is None  # 13 bad rows: fewer than the minimum


@pytest.mark.parametrize(
    ("auc", "interval", "fires"),
    [(0.58, [0.55, 0.61], True), (0.65, [0.49, 0.8], True), (0.65, [0.51, 0.8], False)],
)
def test_near_chance(auc, interval, fires) -> None:
    found = diagnose.near_chance({"roc_auc": auc, "intervals": {"roc_auc": interval}})
    assert bool(found) == fires
    if found and interval[0] <= 0.5:
        assert "which includes 0.5" in found[0].message


def _calibration(score: np.ndarray, label: np.ndarray) -> dict:
    table = calibration_table(score, label)
    return {
        "mean_score": float(score.mean()),
        "bad_rate": float(label.mean()),
        "bad": int(label.sum()),
        "calibration_error": calibration_error(table),
        "calibration": table,
    }


def _scores(n: int, seed: int, mean: float = 0.02) -> np.ndarray:
    return np.random.default_rng(seed).beta(0.5, 0.5 / mean - 0.5, size=n)


def test_miscalibration_both_ways_and_by_calibration_error() -> None:
    rng = np.random.default_rng(0)
    score = _scores(20_000, 0)
    high = _calibration(score, (rng.random(20_000) < score / 2.2).astype(np.int64))
    (found,) = diagnose.miscalibrated(high, "none", calibrated=False)
    assert "x too high; p = " in found.message and "--calibrate isotonic" in found.message
    low = _calibration(score, (rng.random(20_000) < np.minimum(score * 2.3, 1)).astype(np.int64))
    assert "x too low" in diagnose.miscalibrated(low, "none", calibrated=False)[0].message
    # right on average, wrong in shape: every row has the same chance whatever its score
    wide = _scores(20_000, 1, mean=0.15)
    spread = _calibration(wide, (rng.random(20_000) < 0.15).astype(np.int64))
    (found,) = diagnose.miscalibrated(spread, "none", calibrated=True)
    assert "expected calibration error is" in found.message
    assert "beyond the" in found.message and "does not carry over" in found.message


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("rows", [2_000, 20_000, 100_000])
def test_calibrated_scores_stay_quiet_at_any_size(seed: int, rows: int) -> None:
    """Labels drawn from the scores themselves: calibrated, so never flagged, even with a
    few dozen bad rows whose calibration error is large against the bad rate."""
    score = _scores(rows, seed, mean=0.003 if rows == 20_000 else 0.02)
    label = (np.random.default_rng(seed + 100).random(rows) < score).astype(np.int64)
    assert diagnose.miscalibrated(_calibration(score, label), "none", calibrated=False) == []


@pytest.mark.parametrize("seed", range(6))
def test_few_test_bad_follows_the_catch_interval_width(seed: int) -> None:
    rng = np.random.default_rng(seed)

    def intervals(n: int, bad: int) -> dict:
        label = np.zeros(n, dtype=np.int64)
        label[rng.choice(n, bad, replace=False)] = 1
        score = rng.normal(label * 1.5, 1.0)
        return bootstrap_intervals(score, label, FPR_TARGETS, reps=200, seed=seed)

    (found,) = diagnose.few_test_bad(45, intervals(20_000, 45))
    assert found.code == "few-test-bad" and "points, more than 15" in found.message
    assert diagnose.few_test_bad(4_000, intervals(40_000, 4_000)) == []
    assert diagnose.few_test_bad(12) and not diagnose.few_test_bad(300)  # without intervals


def test_leakage_and_one_feature_auc() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2_000) < 0.1).astype(float)
    leak = np.where(rng.random(2_000) < 0.01, 1 - y, y)
    noise = rng.normal(size=2_000)
    reversed_leak = -leak
    with_missing = np.where(y == 1, np.nan, noise)  # missing exactly when bad
    aucs = [diagnose.one_feature_auc(v, y) for v in (leak, noise, reversed_leak, with_missing)]
    assert aucs[0] > 0.95 and aucs[1] < 0.6 and aucs[2] == aucs[0] and aucs[3] == 1.0
    found = diagnose.leakage(["leak", "noise", "reversed", "missing"], aucs)
    assert [f.message.split("'")[1] for f in found] == ["leak", "reversed", "missing"]
    assert found[0].message.startswith(
        f"feature 'leak' alone separates bad from good (one-feature ROC AUC {aucs[0]:.3f} > 0.95)"
    )


@pytest.mark.parametrize("seed", range(10))
def test_regime_change_needs_a_change_beyond_chance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # 2,000 test rows at a 0.5% bad rate: a 2x ratio by noise alone is common
    stable = (int(rng.binomial(60_000, 0.005)), 60_000), (int(rng.binomial(2_000, 0.005)), 2_000)
    assert diagnose.regime_change(*stable) == []
    moved = (int(rng.binomial(60_000, 0.005)), 60_000), (int(rng.binomial(20_000, 0.02)), 20_000)
    (found,) = diagnose.regime_change(*moved)
    assert found.code == "regime-change" and "(train)" in found.message
