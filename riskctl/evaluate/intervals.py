"""95% intervals for proportions and for paired differences of proportions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """k of n, with its Wilson 95% interval."""

    value: float
    low: float
    high: float
    k: int
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def wilson(k: int, n: int, z: float = Z95) -> Proportion:
    if n == 0:
        return Proportion(float("nan"), float("nan"), float("nan"), k, n)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Proportion(p, max(0.0, center - half), min(1.0, center + half), k, n)


@dataclass(frozen=True)
class Difference:
    """candidate minus baseline, with a paired 95% interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def paired_difference(baseline: np.ndarray, candidate: np.ndarray, z: float = Z95) -> Difference:
    """Difference of two proportions measured on the same rows.

    The interval is the Wald interval of the mean per-row difference, which accounts for the
    pairing: rows both strategies flag add nothing to its width, only swapped rows do.
    """
    d = candidate.astype(np.float64) - baseline.astype(np.float64)
    n = len(d)
    if n == 0:
        return Difference(float("nan"), float("nan"), float("nan"))
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return Difference(mean, mean - z * se, mean + z * se)


BOOTSTRAP_REPS = 1000


def paired_difference_counts(n: int, plus: int, minus: int, z: float = Z95) -> Difference:
    """`paired_difference` from counts: of `n` rows, `plus` have candidate 1 and baseline 0,
    `minus` the reverse (every other row differs by 0). Exactly the same interval."""
    if n == 0:
        return Difference(float("nan"), float("nan"), float("nan"))
    mean = (plus - minus) / n
    var = max(0.0, (plus + minus - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    se = math.sqrt(var / n)
    return Difference(mean, mean - z * se, mean + z * se)


def replicate_totals(
    rows: np.ndarray,
    amount: np.ndarray,
    amount_sq: np.ndarray,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson-bootstrap totals of cells of alike rows, replicate by replicate.

    Reweighting each row by a Poisson(1) draw makes a cell of n alike rows count
    Poisson(n) rows: exactly. Its amount is a compound Poisson sum, drawn from its normal
    limit (mean: the cell's amount, variance: its sum of squared amounts).
    """
    rng = np.random.default_rng(seed)
    counts = rng.poisson(np.asarray(rows, dtype=np.float64), size=(reps, len(rows)))
    amounts = rng.normal(
        np.asarray(amount, dtype=np.float64),
        np.sqrt(np.maximum(np.asarray(amount_sq, dtype=np.float64), 0.0)),
        size=(reps, len(rows)),
    )
    return counts.astype(np.float64), amounts


def paired_bootstrap_cells(
    coefficients: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    totals: np.ndarray,
    point_totals: np.ndarray,
) -> Difference:
    """candidate ratio minus baseline ratio (sum num / sum den), where each of the four is
    a per-cell coefficient times the cell's total; the 95% interval from replicate totals
    (reps x cells), paired: the same replicate for both sides."""
    nb, db, nc, dc = (np.asarray(c, dtype=np.float64) for c in coefficients)

    def diff(t: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (t @ nc) / (t @ dc) - (t @ nb) / (t @ db)

    point = float(diff(point_totals[None, :])[0])
    if not np.isfinite(point):
        return Difference(point, float("nan"), float("nan"))
    values = diff(totals)
    values = values[np.isfinite(values)]
    low, high = np.quantile(values, [0.025, 0.975]) if len(values) else (np.nan, np.nan)
    return Difference(point, float(low), float(high))
