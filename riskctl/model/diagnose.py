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
MIN_EXPECTED_BAD = 5  # ... nor those that would hold fewer bad rows at the pooled rate
ALPHA = 0.001  # a warning about periods or calibration needs a difference this unlikely
CARRIED_SHARE = 0.5  # a burst holds more than this share of the test bad rows
CARRIED_RATIO = 2.0  # ... at a bad rate at least this multiple of the other test periods'
CARRIED_MIN_BAD = 20  # fewer test bad rows cannot show where they concentrate
CHANCE_AUC = 0.6
CALIBRATION_RATIO = 1.5
CALIBRATION_ERROR_SHARE = 0.5  # expected calibration error above this share of the bad rate
LEAKAGE_AUC = 0.95
REGIME_RATIO = 2.0
FEW_TEST_BAD = 30  # without intervals (a cluster's training), fewer bad rows than this
CATCH_INTERVAL_WIDTH = 0.15  # a catch-rate interval wider than this is too wide to read
NULL_REPS = 10_000
_NAMED = 6


@dataclass(frozen=True)
class Finding:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _chi_square_p(bad: np.ndarray, rows: np.ndarray) -> float:
    """p-value that the periods share one bad rate (Pearson's chi-square on bad and good)."""
    from scipy.stats import chi2_contingency

    table = np.array([bad, rows - bad], dtype=np.float64)
    if (table.sum(axis=1) == 0).any():
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


def _binomial_p(k: int, n: int, p: float) -> float:
    from scipy.stats import binomtest

    return float(binomtest(k, n, min(max(p, 0.0), 1.0)).pvalue)


def rate_spread(periods: list[dict[str, Any]], unit: str) -> list[Finding]:
    """Bad rate varying more than RATE_SPREAD x across periods, beyond chance, naming the
    periods that are significantly more than UNUSUAL_RATE x off the median one.

    Only periods of at least PERIOD_MIN_ROWS rows that would hold MIN_EXPECTED_BAD bad rows
    at the pooled rate count: a month of 50 rows says nothing about a 2% bad rate."""
    usable = [p for p in periods if p["period"] and p["rows"] >= PERIOD_MIN_ROWS]
    pooled = sum(p["bad"] for p in usable) / max(sum(p["rows"] for p in usable), 1)
    usable = [p for p in usable if p["rows"] * pooled >= MIN_EXPECTED_BAD]
    if len(usable) < 2:
        return []
    rates = np.array([p["bad_rate"] for p in usable])
    lo, hi = usable[int(rates.argmin())], usable[int(rates.argmax())]
    bad, rows = (np.array([p[k] for p in usable]) for k in ("bad", "rows"))
    if hi["bad_rate"] <= RATE_SPREAD * lo["bad_rate"] or _chi_square_p(bad, rows) >= ALPHA:
        return []
    typical = float(np.median(rates))  # robust to the burst it is looking for
    unusual = [
        p
        for p in usable
        if (p["bad_rate"] > UNUSUAL_RATE * typical or p["bad_rate"] < typical / UNUSUAL_RATE)
        and _binomial_p(p["bad"], p["rows"], typical) < ALPHA / len(usable)
    ]
    if not unusual:
        return []
    named = ", ".join(f"{p['period']} ({_pct(p['bad_rate'])})" for p in unusual[:_NAMED])
    more = f" and {len(unusual) - _NAMED} more" if len(unusual) > _NAMED else ""
    spread = f"{hi['bad_rate'] / lo['bad_rate']:.1f}x" if lo["bad_rate"] else "from zero"
    latest = (
        " The latest period is the lowest: its labels may not have matured yet."
        if lo is usable[-1]
        else ""
    )
    return [
        Finding(
            "bad-rate-varies",
            f"the bad rate varies {spread} across {unit} periods, from {_pct(lo['bad_rate'])} "
            f"({lo['period']}) to {_pct(hi['bad_rate'])} ({hi['period']}); median "
            f"{_pct(typical)}, pooled {_pct(pooled)}; unusual periods: {named}{more} "
            f"(chi-square p < {ALPHA:g} over {len(usable)} periods with enough rows). A burst "
            "or a labelling change can carry the whole result: read the per-period test "
            f"metrics.{latest}",
        )
    ]


@dataclass(frozen=True)
class Burst:
    """A run of consecutive test periods holding most of the test bad rows."""

    periods: tuple[str, ...]
    bad: int
    rows: int
    total_bad: int
    total_rows: int
    p_value: float  # hypergeometric, Bonferroni-corrected over the runs looked at


def tested_periods(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in periods if p["period"] and p["test_rows"]]


def carrying_run(periods: list[dict[str, Any]]) -> Burst | None:
    """The run of consecutive test periods (one or more, never all) that holds more than
    CARRIED_SHARE of the test bad rows with the largest excess of its share of bad rows over
    its share of rows; kept only when its bad rate is CARRIED_RATIO x the other test
    periods' and chance would hardly put that many bad rows there (p < ALPHA)."""
    tested = tested_periods(periods)
    bad, rows = (
        np.array([p[k] for p in tested], dtype=np.int64) for k in ("test_bad", "test_rows")
    )
    total_bad, total_rows, t = int(bad.sum()), int(rows.sum()), len(tested)
    if t < 2 or total_bad < CARRIED_MIN_BAD:
        return None
    cb, cr = np.concatenate([[0], np.cumsum(bad)]), np.concatenate([[0], np.cumsum(rows)])
    first, last = np.triu_indices(t)
    k, n = cb[last + 1] - cb[first], cr[last + 1] - cr[first]
    ok = (k > CARRIED_SHARE * total_bad) & ~((first == 0) & (last == t - 1))
    if not ok.any():
        return None
    excess = np.where(ok, k / total_bad - n / total_rows, -np.inf)
    best = int(np.lexsort((last - first, -excess))[0])  # the largest excess, then the shortest
    kb, nb = int(k[best]), int(n[best])
    rest_bad, rest_rows = total_bad - kb, total_rows - nb
    if kb / nb < CARRIED_RATIO * rest_bad / max(rest_rows, 1):
        return None
    from scipy.stats import hypergeom

    p_value = min(1.0, float(hypergeom.sf(kb - 1, total_rows, total_bad, nb)) * (len(k) - 1))
    if p_value >= ALPHA:
        return None
    names = tuple(p["period"] for p in tested[first[best] : last[best] + 1])
    return Burst(names, kb, nb, total_bad, total_rows, p_value)


def carried_by_a_burst(
    burst: Burst | None, overall: float, without: float | None, unit: str
) -> list[Finding]:
    """`without`: the test ROC AUC on the test rows outside the burst (None: too few bad
    rows there); `overall`: on every test row."""
    if burst is None:
        return []
    b = burst
    where = (
        f"one {unit} period, {b.periods[0]}"
        if len(b.periods) == 1
        else f"{len(b.periods)} consecutive {unit} periods, {b.periods[0]} to {b.periods[-1]}"
    )
    rest_rate = (b.total_bad - b.bad) / max(b.total_rows - b.rows, 1)
    outside = (
        f"the test ROC AUC is {overall:.3f} overall and {without:.3f} outside it"
        if without is not None
        else "the other periods hold too few bad rows to measure the ROC AUC without it"
    )
    return [
        Finding(
            "carried-by-a-burst",
            f"{b.bad:,} of the {b.total_bad:,} test bad rows ({100 * b.bad / b.total_bad:.0f}%) "
            f"fall in {where}, holding {100 * b.rows / b.total_rows:.0f}% of the test rows "
            f"(bad rate {_pct(b.bad / b.rows)} against {_pct(rest_rate)} in the other test "
            f"periods; p = {b.p_value:.1g}): the test metrics mostly measure that burst; "
            f"{outside}",
        )
    ]


def single_test_period(periods: list[dict[str, Any]], unit: str) -> list[Finding]:
    """The test slice within one period: no period warning can be judged on it."""
    tested = tested_periods(periods)
    if len(tested) != 1:
        return []
    return [
        Finding(
            "single-test-period",
            f"the whole test slice falls in one {unit} period, {tested[0]['period']}: whether "
            "a burst carries the test metrics cannot be judged. Use a shorter --period (e.g. "
            "day) or a larger --test-fraction",
        )
    ]


def near_chance(metrics: dict[str, Any]) -> list[Finding]:
    auc, (low, high) = metrics["roc_auc"], metrics["intervals"]["roc_auc"]
    if not (auc < CHANCE_AUC or low <= 0.5):
        return []
    return [
        Finding(
            "near-chance",
            f"the model is near chance on the test slice: ROC AUC {auc:.3f} "
            f"(95% interval {low:.3f} to {high:.3f}"
            + (", which includes 0.5" if low <= 0.5 else "")
            + f"; under {CHANCE_AUC} is weak). Do not act on its scores",
        )
    ]


def calibration_noise(
    table: list[dict[str, Any]], seed: int = 0, reps: int = NULL_REPS
) -> tuple[float, float]:
    """What sampling noise alone gives for perfectly calibrated scores at the observed
    counts: the two-sided p-value of the observed bad count against the scores' sum, and the
    1 - ALPHA quantile of the expected calibration error (each bin's bad rows drawn
    Binomial(rows, mean score), `reps` times). The per-bin variance n p (1 - p) bounds the
    rows' own sum of p (1 - p) from above, so both err towards silence."""
    rows = np.array([int(r["rows"] or 0) for r in table], dtype=np.int64)
    mean = np.array([float(r["mean_score"] or 0.0) for r in table])
    bad = np.array([int(r["bad"] or 0) for r in table])
    total = int(rows.sum())
    if total == 0:
        return 1.0, float("inf")
    from scipy.stats import norm

    var = float(np.sum(rows * mean * (1 - mean)))
    z = abs(bad.sum() - float(np.sum(rows * mean))) / var**0.5 if var > 0 else 0.0
    drawn = np.random.default_rng(seed).binomial(rows, mean, size=(reps, len(rows)))
    null_ece = np.abs(rows * mean - drawn).sum(axis=1) / total
    return float(2 * norm.sf(z)), float(np.quantile(null_ece, 1 - ALPHA))


def miscalibrated(metrics: dict[str, Any], imbalance: str, calibrated: bool) -> list[Finding]:
    """Scores off the observed bad rate by more than CALIBRATION_RATIO x, or an expected
    calibration error above CALIBRATION_ERROR_SHARE of the bad rate; either only when
    sampling noise at the observed counts would hardly give it (`calibration_noise`)."""
    mean, rate = metrics["mean_score"], metrics["bad_rate"]
    ece = metrics["calibration_error"]
    ratio = mean / rate if rate else float("inf")
    p_mean, noise = calibration_noise(metrics["calibration"])
    off = (ratio > CALIBRATION_RATIO or ratio < 1 / CALIBRATION_RATIO) and p_mean < ALPHA
    spread = ece > CALIBRATION_ERROR_SHARE * rate and ece > noise
    if not off and not spread:
        return []
    how = f"{ratio:.1f}x too high" if ratio >= 1 else f"{1 / ratio:.1f}x too low"
    why = (
        f"scores average {mean:.4f} against an observed bad rate of {rate:.4f} ({how}; "
        f"p = {p_mean:.1g} at {metrics['bad']:,} bad rows)"
        if off
        else f"the expected calibration error is {ece:.4f}, large against a bad rate of "
        f"{rate:.4f} and beyond the {noise:.4f} sampling noise alone reaches at these counts"
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
        Finding(
            "miscalibrated",
            f"scores are not calibrated probabilities on the test slice: {why}{cause}; {fix}",
        )
    ]


def leakage(names: list[str], aucs: list[float], threshold: float = LEAKAGE_AUC) -> list[Finding]:
    """Features that alone separate the labels almost perfectly."""
    return [
        Finding(
            "possible-leakage",
            f"feature '{name}' alone separates bad from good (one-feature ROC AUC "
            f"{auc:.3f} > {threshold}): possible leakage (a field written after the "
            "outcome, or the label in disguise). Check it; --exclude it if so",
        )
        for name, auc in zip(names, aucs, strict=True)
        if auc > threshold
    ]


def regime_change(train: tuple[int, int], test: tuple[int, int]) -> list[Finding]:
    """The bad rate moving more than REGIME_RATIO x between the train and test slices
    (each given as bad rows, rows), beyond chance (chi-square, p < ALPHA)."""
    (train_bad, train_rows), (test_bad, test_rows) = train, test
    train_rate, test_rate = train_bad / max(train_rows, 1), test_bad / max(test_rows, 1)
    if max(train_rate, test_rate) <= REGIME_RATIO * min(train_rate, test_rate):
        return []
    counts = np.array([train_bad, test_bad]), np.array([train_rows, test_rows])
    if _chi_square_p(*counts) >= ALPHA:
        return []
    return [
        Finding(
            "regime-change",
            f"the bad rate changed from {_pct(train_rate)} (train) to {_pct(test_rate)} "
            f"(test), more than {REGIME_RATIO:g}x: the regime changed, and test numbers will "
            "not look like training",
        )
    ]


def few_test_bad(bad: int, intervals: dict[str, list[float]] | None = None) -> list[Finding]:
    """The catch-rate intervals wider than CATCH_INTERVAL_WIDTH (or, without intervals,
    fewer than FEW_TEST_BAD bad test rows): too few bad rows to read the test numbers."""
    widths = [
        (key.split(".", 1)[1], low, high)
        for key, (low, high) in (intervals or {}).items()
        if key.startswith("catch_rate_at_fpr.") and np.isfinite(low) and np.isfinite(high)
    ]
    fix = "use more history or a larger --test-fraction"
    if widths:
        fpr, low, high = max(widths, key=lambda w: w[2] - w[1])
        if high - low <= CATCH_INTERVAL_WIDTH:
            return []
        return [
            Finding(
                "few-test-bad",
                f"{bad:,} bad rows in the test slice leave wide intervals: the catch rate at "
                f"{100 * float(fpr):g}% false positives lies anywhere from {_pct(low)} to "
                f"{_pct(high)} ({100 * (high - low):.0f} points, more than "
                f"{100 * CATCH_INTERVAL_WIDTH:.0f}); {fix}",
            )
        ]
    if bad >= FEW_TEST_BAD:
        return []
    return [
        Finding("few-test-bad", f"only {bad} bad rows in the test slice: intervals are wide; {fix}")
    ]


def one_feature_auc(values: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC of one feature used alone, in its better direction; missing values rank as
    one more value (below every other)."""
    v = np.where(np.isnan(values), -np.inf, values)
    auc = roc_auc(v, label)
    return float(max(auc, 1 - auc)) if np.isfinite(auc) else float("nan")
