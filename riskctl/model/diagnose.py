"""Loud, specific warnings about a detector's evaluation: what a careful fraud data scientist
checks before trusting a test metric.

Each check has a stable code and says which periods, which feature, which numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from riskctl.model.ranking import roc_auc

RATE_SPREAD = 5.0  # bad rate varying more than this across periods
UNUSUAL_RATE = 2.0  # a period is named when its bad rate is this far from the median one
PERIOD_MIN_ROWS = 30  # periods smaller than this do not count for the spread
CARRIED_SHARE = 0.5  # more than this share of test bad rows in one period
CHANCE_AUC = 0.6
CALIBRATION_RATIO = 1.5
CALIBRATION_ERROR_SHARE = 0.5  # expected calibration error above this share of the bad rate
LEAKAGE_AUC = 0.95
REGIME_RATIO = 2.0
FEW_TEST_BAD = 30
_NAMED = 6


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def rate_spread(periods: list[dict[str, Any]], unit: str) -> list[Diagnosis]:
    """Bad rate varying more than RATE_SPREAD x across periods, naming the unusual ones."""
    usable = [p for p in periods if p["period"] and p["rows"] >= PERIOD_MIN_ROWS]
    if len(usable) < 2:
        return []
    rates = np.array([p["bad_rate"] for p in usable])
    lo, hi = usable[int(rates.argmin())], usable[int(rates.argmax())]
    if hi["bad_rate"] <= RATE_SPREAD * lo["bad_rate"]:
        return []
    pooled = sum(p["bad"] for p in usable) / sum(p["rows"] for p in usable)
    typical = float(np.median(rates))  # robust to the burst it is looking for
    unusual = [
        p
        for p in usable
        if p["bad_rate"] > UNUSUAL_RATE * typical or p["bad_rate"] < typical / UNUSUAL_RATE
    ]
    named = ", ".join(f"{p['period']} ({_pct(p['bad_rate'])})" for p in unusual[:_NAMED])
    more = f" and {len(unusual) - _NAMED} more" if len(unusual) > _NAMED else ""
    spread = f"{hi['bad_rate'] / lo['bad_rate']:.1f}x" if lo["bad_rate"] else "from zero"
    latest = (
        " The latest period is the lowest: its labels may not have matured yet."
        if lo is usable[-1]
        else ""
    )
    return [
        Diagnosis(
            "bad-rate-varies",
            f"the bad rate varies {spread} across {unit} periods, from {_pct(lo['bad_rate'])} "
            f"({lo['period']}) to {_pct(hi['bad_rate'])} ({hi['period']}); median "
            f"{_pct(typical)}, pooled {_pct(pooled)}; unusual periods: {named}{more}. A burst "
            "or a labelling change can carry the whole result: read the per-period test "
            f"metrics.{latest}",
        )
    ]


def carried_by_one_period(
    periods: list[dict[str, Any]], without: float | None, unit: str
) -> list[Diagnosis]:
    """More than CARRIED_SHARE of the test bad rows in one period; `without` is the test
    ROC AUC on the other periods' test rows."""
    total = sum(p["test_bad"] for p in periods)
    if not total:
        return []
    top = max(periods, key=lambda p: p["test_bad"])
    if top["test_bad"] <= CARRIED_SHARE * total:
        return []
    rows_share = top["test_rows"] / max(sum(p["test_rows"] for p in periods), 1)
    rest = (
        f"; without it the test ROC AUC is {without:.3f}"
        if without is not None
        else "; the other periods hold too few bad rows to measure without it"
    )
    return [
        Diagnosis(
            "carried-by-one-period",
            f"{top['test_bad']:,} of the {total:,} test bad rows "
            f"({100 * top['test_bad'] / total:.0f}%) fall in one {unit} period, "
            f"{top['period']}, which holds {100 * rows_share:.0f}% of the test rows: the test "
            f"metrics mostly measure that period{rest}",
        )
    ]


def near_chance(metrics: dict[str, Any]) -> list[Diagnosis]:
    auc, (low, high) = metrics["roc_auc"], metrics["intervals"]["roc_auc"]
    if not (auc < CHANCE_AUC or low <= 0.5):
        return []
    return [
        Diagnosis(
            "near-chance",
            f"the model is near chance on the test slice: ROC AUC {auc:.3f} "
            f"(95% interval {low:.3f} to {high:.3f}"
            + (", which includes 0.5" if low <= 0.5 else "")
            + f"; under {CHANCE_AUC} is weak). Do not act on its scores",
        )
    ]


def miscalibrated(metrics: dict[str, Any], imbalance: str, calibrated: bool) -> list[Diagnosis]:
    mean, rate = metrics["mean_score"], metrics["bad_rate"]
    ece = metrics["calibration_error"]
    ratio = mean / rate if rate else float("inf")
    off = ratio > CALIBRATION_RATIO or ratio < 1 / CALIBRATION_RATIO
    if not off and ece <= CALIBRATION_ERROR_SHARE * rate:
        return []
    how = f"{ratio:.1f}x too high" if ratio >= 1 else f"{1 / ratio:.1f}x too low"
    why = (
        f"scores average {mean:.4f} against an observed bad rate of {rate:.4f} ({how})"
        if off
        else f"the expected calibration error is {ece:.4f}, large against a bad rate of {rate:.4f}"
    )
    cause = " (imbalance weighting shifts scores on purpose)" if imbalance != "none" else ""
    fix = (
        "the calibration fitted on the early-stopping slice does not carry over to the test "
        "slice (the bad rate moved between them): read thresholds as ranks, not probabilities"
        if calibrated
        else "thresholds read as probabilities will mislead. Retrain with --calibrate "
        "isotonic (or platt)"
    )
    return [
        Diagnosis(
            "miscalibrated",
            f"scores are not calibrated probabilities on the test slice: {why}{cause}; {fix}",
        )
    ]


def leakage(names: list[str], aucs: list[float], threshold: float = LEAKAGE_AUC) -> list[Diagnosis]:
    """Features that alone separate the labels almost perfectly."""
    return [
        Diagnosis(
            "possible-leakage",
            f"feature '{name}' alone separates bad from good (one-feature ROC AUC "
            f"{auc:.3f} > {threshold}): possible leakage (a field written after the "
            "outcome, or the label in disguise). Check it; --exclude it if so",
        )
        for name, auc in zip(names, aucs, strict=True)
        if auc > threshold
    ]


def regime_change(train_rate: float, test_rate: float) -> list[Diagnosis]:
    if max(train_rate, test_rate) <= REGIME_RATIO * min(train_rate, test_rate):
        return []
    return [
        Diagnosis(
            "regime-change",
            f"the bad rate changed from {_pct(train_rate)} (train) to {_pct(test_rate)} "
            f"(test), more than {REGIME_RATIO:g}x: the regime changed, and test numbers will "
            "not look like training",
        )
    ]


def few_test_bad(bad: int) -> list[Diagnosis]:
    if bad >= FEW_TEST_BAD:
        return []
    return [
        Diagnosis(
            "few-test-bad",
            f"only {bad} bad rows in the test slice: intervals are wide; use more history "
            "or a larger --test-fraction",
        )
    ]


def one_feature_auc(values: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC of one feature used alone, in its better direction; missing values rank as
    one more value (below every other)."""
    v = np.where(np.isnan(values), -np.inf, values)
    auc = roc_auc(v, label)
    return float(max(auc, 1 - auc)) if np.isfinite(auc) else float("nan")
