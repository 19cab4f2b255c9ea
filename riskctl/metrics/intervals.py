"""95% intervals for proportions and for paired differences of proportions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from riskctl.numbers import Z95


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


def disagree(a: Proportion, b: Proportion) -> bool:
    """Two proportions measured on different rows whose 95% intervals do not overlap: more
    apart than sampling noise explains."""
    return a.n > 0 and b.n > 0 and (a.high < b.low or b.high < a.low)


@dataclass(frozen=True)
class Difference:
    """candidate minus baseline, with a paired 95% interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def paired_proportions(
    both: int, base_only: int, cand_only: int, neither: int, z: float = Z95
) -> Difference:
    """Candidate minus baseline of two proportions measured on the same rows, with
    Newcombe's hybrid score interval for paired data (Newcombe 1998, Statistics in Medicine
    17:2635, method 10).

    The 2x2 table counts the rows of the denominator: flagged by both, by the baseline only,
    by the candidate only, by neither. The interval combines the Wilson intervals of the two
    proportions, (l1, u1) for the baseline's p1 and (l2, u2) for the candidate's p2, through
    phi, the correlation of the two flags: from p2 - p1 it reaches down by
    sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2) and up by
    sqrt((u2 - p2)^2 - 2 phi (u2 - p2)(p1 - l1) + (p1 - l1)^2). As in the paper, a positive
    ad - bc in phi is first reduced by n/2 (never below 0) and phi is 0 when a margin is
    empty. Unlike the Wald interval of the mean per-row difference, it stays inside
    [-1, 1], keeps positive width when every swapped row goes one way or none does, and
    holds its 95% coverage on small samples.
    """
    n = both + base_only + cand_only + neither
    if n == 0:
        return Difference(math.nan, math.nan, math.nan)
    base, cand = wilson(both + base_only, n, z), wilson(both + cand_only, n, z)
    phi = _phi(both, base_only, cand_only, neither)
    below_cand, above_cand = cand.value - cand.low, cand.high - cand.value
    below_base, above_base = base.value - base.low, base.high - base.value
    down = below_cand**2 - 2 * phi * below_cand * above_base + above_base**2
    up = above_cand**2 - 2 * phi * above_cand * below_base + below_base**2
    diff = (cand_only - base_only) / n
    low = diff - math.sqrt(max(down, 0.0))
    high = diff + math.sqrt(max(up, 0.0))
    return Difference(diff, max(low, -1.0), min(high, 1.0))


def _phi(a: int, b: int, c: int, d: int) -> float:
    """The correlation of the two flags over the 2x2 table, with Newcombe's correction."""
    margins = float(a + b) * float(c + d) * float(a + c) * float(b + d)
    if margins == 0:
        return 0.0
    cross = float(a) * float(d) - float(b) * float(c)
    if cross > 0:
        cross = max(cross - (a + b + c + d) / 2, 0.0)
    return cross / math.sqrt(margins)


BOOTSTRAP_REPS = 1000


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


def ratio_range(
    num: float, den: float, add_num: np.ndarray, add_den: np.ndarray
) -> tuple[float, float]:
    """The lowest and highest value of (num + sum x * add_num) / (den + sum x * add_den) over
    every choice of x_i in {0, 1}: the exact range of a ratio when some rows' outcomes are
    unseen (x_i = 1: row i was bad). Dinkelbach's iteration: each step takes every row that
    moves the ratio the wanted way at the current value, and it stops, exactly, in a few steps.
    """
    dn, dd = np.asarray(add_num, np.float64), np.asarray(add_den, np.float64)

    def at(x: np.ndarray) -> tuple[float, float]:
        return num + float(dn[x].sum()), den + float(dd[x].sum())

    def extreme(sign: float) -> float:
        x = np.zeros(len(dn), dtype=bool)
        n, d = at(x)
        if d <= 0:  # undefined with every unseen row good: start from all bad
            x = ~x
            n, d = at(x)
        if d <= 0:
            return math.nan
        for _ in range(len(dn) + 2):
            t = n / d
            new = sign * (dn - t * dd) > 0
            nn, nd = at(new)
            if nd <= 0 or np.array_equal(new, x) or sign * (nn / nd - t) <= 1e-15:
                return t
            x, n, d = new, nn, nd
        return n / d

    return extreme(-1.0), extreme(1.0)


def _clip(value: float, low: float, high: float, share: bool) -> Difference:
    if share:
        low, high = max(low, 0.0), min(high, 1.0)
    return Difference(value, low, high)


def weighted_ratio(
    num: np.ndarray, den: np.ndarray, weight: np.ndarray, share: bool = True, z: float = Z95
) -> Difference:
    """The self-normalised weighted ratio sum(w num) / sum(w den) (inverse-propensity
    weighting), with a 95% interval from its delta-method (linearised sandwich) variance.

    For a share, the interval is Wilson's at the effective sample size that variance implies
    (n_eff = p (1 - p) / variance, the design-effect correction): unlike the symmetric
    Wald interval it stays inside [0, 1] and keeps its coverage when a rare, heavily
    weighted outcome drives the variance."""
    w = np.asarray(weight, np.float64)
    n, d = np.asarray(num, np.float64), np.asarray(den, np.float64)
    total = float((w * d).sum())
    if total <= 0:
        return Difference(math.nan, math.nan, math.nan)
    r = float((w * n).sum()) / total
    se = _se(w * (n - r * d) / total, w)
    if share and 0 < r < 1 and se > 0:
        interval = wilson_at(r, r * (1 - r) / se**2, z)
        return Difference(r, interval[0], interval[1])
    return _clip(r, r - z * se, r + z * se, share)


def wilson_at(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's interval for a proportion p measured on an effective sample of n."""
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def weighted_ratio_difference(
    num_base: np.ndarray,
    den_base: np.ndarray,
    num_cand: np.ndarray,
    den_cand: np.ndarray,
    weight: np.ndarray,
    z: float = Z95,
) -> Difference:
    """Candidate minus baseline of two self-normalised weighted ratios on the same rows,
    with a paired delta-method 95% interval (each row's linearised contribution to both)."""
    w = np.asarray(weight, np.float64)
    parts = [np.asarray(a, np.float64) for a in (num_base, den_base, num_cand, den_cand)]
    tb, tc = float((w * parts[1]).sum()), float((w * parts[3]).sum())
    if tb <= 0 or tc <= 0:
        return Difference(math.nan, math.nan, math.nan)
    rb, rc = float((w * parts[0]).sum()) / tb, float((w * parts[2]).sum()) / tc
    lin = w * ((parts[2] - rc * parts[3]) / tc - (parts[0] - rb * parts[1]) / tb)
    se = _se(lin, w)
    return Difference(rc - rb, rc - rb - z * se, rc - rb + z * se)


def _se(lin: np.ndarray, weight: np.ndarray) -> float:
    """Standard error from per-row linearised contributions (rows of weight 0 are out)."""
    used = int((weight > 0).sum())
    if used < 2:
        return math.nan
    return math.sqrt(float((lin**2).sum()) * used / (used - 1))
