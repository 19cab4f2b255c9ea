"""Each evaluation warning: when it fires, when it does not, and the exact text it gives."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.model import diagnose


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
        "2026-01-12 (61.00%). A burst or a labelling change can carry the whole result: read "
        "the per-period test metrics."
    )
    assert "2026-03-02" not in found.message
    flat = [_period(f"2026-02-0{i}", 100, 4 + i % 2) for i in range(1, 8)]
    assert diagnose.rate_spread(flat, "weekly") == []


def test_rate_spread_says_when_the_latest_period_is_lowest() -> None:
    periods = [_period(f"2026-02-0{i}", 100, 10) for i in range(1, 6)] + [
        _period("2026-02-09", 100, 1)
    ]
    (found,) = diagnose.rate_spread(periods, "weekly")
    assert found.message.endswith("its labels may not have matured yet.")


def test_one_period_carrying_the_test_bad_rows() -> None:
    periods = [
        _period("2026-03-02", 500, 10, 500, 10),
        _period("2026-03-09", 500, 60, 500, 60),
        _period("2026-03-16", 500, 10, 500, 10),
    ]
    (found,) = diagnose.carried_by_one_period(periods, 0.512, "weekly")
    assert found.message == (
        "60 of the 80 test bad rows (75%) fall in one weekly period, 2026-03-09, which holds "
        "33% of the test rows: the test metrics mostly measure that period; without it the "
        "test ROC AUC is 0.512"
    )
    periods[1] = _period("2026-03-09", 500, 20, 500, 20)
    assert diagnose.carried_by_one_period(periods, 0.7, "weekly") == []


@pytest.mark.parametrize(
    ("auc", "interval", "fires"),
    [(0.58, [0.55, 0.61], True), (0.65, [0.49, 0.8], True), (0.65, [0.51, 0.8], False)],
)
def test_near_chance(auc, interval, fires) -> None:
    found = diagnose.near_chance({"roc_auc": auc, "intervals": {"roc_auc": interval}})
    assert bool(found) == fires
    if found and interval[0] <= 0.5:
        assert "which includes 0.5" in found[0].message


def test_miscalibration_both_ways_and_by_calibration_error() -> None:
    high = {"mean_score": 0.102, "bad_rate": 0.046, "calibration_error": 0.01}
    (found,) = diagnose.miscalibrated(high, "none", calibrated=False)
    assert "scores average 0.1020 against an observed bad rate of 0.0460 (2.2x too high)" in (
        found.message
    )
    assert "--calibrate isotonic" in found.message
    low = {"mean_score": 0.02, "bad_rate": 0.046, "calibration_error": 0.01}
    assert "2.3x too low" in diagnose.miscalibrated(low, "none", calibrated=False)[0].message
    spread = {"mean_score": 0.046, "bad_rate": 0.046, "calibration_error": 0.03}
    (found,) = diagnose.miscalibrated(spread, "none", calibrated=True)
    assert "expected calibration error is 0.0300" in found.message
    assert "does not carry over to the test slice" in found.message
    fine = {"mean_score": 0.05, "bad_rate": 0.046, "calibration_error": 0.01}
    assert diagnose.miscalibrated(fine, "none", calibrated=False) == []


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
