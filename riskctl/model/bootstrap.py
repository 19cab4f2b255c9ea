"""95% intervals for a detector's test metrics.

ROC AUC, PR AUC and catch rate at a false-positive rate have no cheap exact interval: they
get a Poisson bootstrap, each replicate reweighting the test rows with Poisson(1) counts (with
group columns, whole groups at once: rows of a ring rise and fall together). Means (bad rate,
mean score, Brier score) get the normal interval of a mean, with cluster-robust variance when
there are groups.

The bootstrap is exact but compressed. Rows sorted by score fall into *units*: each distinct
score that holds a bad row, and each run of distinct scores between them that holds only good
rows. The three metrics only change at units (inside an all-good run the catch rate is flat,
so the ROC area grows linearly, recall does not move, and no point beats the run's first), so
a replicate only needs each unit's total bad and good weight; a sum of k independent
Poisson(1) weights is one Poisson(k) draw. With groups, rows alone in their group are drawn
the same way, and only groups of several rows get a weight each. A replicate then costs
O(units + groups of several rows) instead of O(rows); units are about twice the bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from riskctl.numbers import Z95

BOOTSTRAP_REPS = 1000
_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class Units:
    unit: np.ndarray  # per row, in the order given
    is_bad: np.ndarray  # per row
    bad: np.ndarray  # per unit: bad rows
    good: np.ndarray  # per unit: good rows


def score_units(score: np.ndarray, label: np.ndarray) -> Units:
    """Units of rows, numbered from the highest score down (see the module docstring)."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    s, y = np.asarray(score, dtype=np.float64)[order], np.asarray(label)[order].astype(bool)
    group = np.cumsum(np.r_[True, s[1:] != s[:-1]]) - 1 if len(s) else np.zeros(0, int)
    n_groups = int(group[-1]) + 1 if len(s) else 0
    has_bad = np.bincount(group, weights=y, minlength=n_groups) > 0
    starts = has_bad | np.r_[True, has_bad[:-1]] if n_groups else has_bad
    unit_of_group = np.cumsum(starts) - 1
    unit = np.empty(len(s), dtype=np.int64)
    unit[order] = unit_of_group[group]
    n_units = int(unit_of_group[-1]) + 1 if n_groups else 0
    label = np.asarray(label).astype(bool)
    return Units(
        unit,
        label,
        np.bincount(unit, weights=label, minlength=n_units),
        np.bincount(unit, weights=~label, minlength=n_units),
    )


def unit_metrics(
    bad: np.ndarray, good: np.ndarray, fprs: tuple[float, ...]
) -> dict[str, np.ndarray]:
    """ROC AUC, PR AUC and catch rates for each row of unit weights (replicates x units)."""
    cum_bad, cum_good = np.cumsum(bad, axis=1), np.cumsum(good, axis=1)
    total_bad, total_good = cum_bad[:, -1:], cum_good[:, -1:]
    zero = np.zeros((len(bad), 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr, fpr = cum_bad / total_bad, cum_good / total_good
        flagged = cum_bad + cum_good
        precision = np.where(flagged > 0, cum_bad / flagged, 1.0)
        out = {
            "roc_auc": np.trapezoid(np.hstack([zero, tpr]), np.hstack([zero, fpr]), axis=1),
            "pr_auc": np.sum(np.diff(np.hstack([zero, tpr]), axis=1) * precision, axis=1),
        }
        for t in fprs:
            out[f"catch_rate_at_fpr.{t:g}"] = np.where(fpr <= t + 1e-12, tpr, 0.0).max(axis=1)
    usable = (total_bad[:, 0] > 0) & (total_good[:, 0] > 0)
    return {k: np.where(usable, v, np.nan) for k, v in out.items()}


@dataclass(frozen=True)
class _Design:
    """What one replicate draws: rows resampled on their own, summed per unit (a sum of
    Poisson(1) weights is one Poisson draw), and groups of several rows, each with one
    weight spread over the units its rows fall in."""

    single_bad: np.ndarray  # per unit
    single_good: np.ndarray
    shared: tuple[Any, Any] | None  # (bad, good) incidence: groups x units
    n_shared: int


def _design(units: Units, clusters: np.ndarray | None) -> _Design:
    n_units = len(units.bad)
    single = np.ones(len(units.unit), dtype=bool)
    if clusters is not None:
        _, cluster = np.unique(clusters, return_inverse=True)
        single = np.bincount(cluster)[cluster] == 1

    def per_unit(rows: np.ndarray) -> np.ndarray:
        return np.bincount(units.unit[rows], minlength=n_units).astype(np.float64)

    bad_rows, good_rows = single & units.is_bad, single & ~units.is_bad
    if clusters is None or single.all():
        return _Design(per_unit(bad_rows), per_unit(good_rows), None, 0)
    from scipy.sparse import coo_matrix

    _, group = np.unique(cluster[~single], return_inverse=True)
    n_shared = int(group.max()) + 1
    unit, is_bad = units.unit[~single], units.is_bad[~single]
    shared = tuple(
        coo_matrix(
            (np.ones(int(mask.sum())), (group[mask], unit[mask])), shape=(n_shared, n_units)
        ).tocsr()
        for mask in (is_bad, ~is_bad)
    )
    return _Design(per_unit(bad_rows), per_unit(good_rows), shared, n_shared)


def _weights(design: _Design, size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(bad, good) weight per unit for `size` replicates."""
    n_units = len(design.single_bad)
    bad = rng.poisson(design.single_bad, size=(size, n_units)).astype(np.float64)
    good = rng.poisson(design.single_good, size=(size, n_units)).astype(np.float64)
    if design.shared is not None:
        w = rng.poisson(1.0, size=(size, design.n_shared)).astype(np.float64)
        bad += np.asarray((design.shared[0].T @ w.T).T)
        good += np.asarray((design.shared[1].T @ w.T).T)
    return bad, good


def bootstrap_intervals(
    score: np.ndarray,
    label: np.ndarray,
    fprs: tuple[float, ...],
    clusters: np.ndarray | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> dict[str, list[float]]:
    """metric -> [low, high], the 2.5% and 97.5% quantiles over `reps` replicates."""
    units = score_units(score, label)
    design = _design(units, clusters)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(len(units.bad) + design.n_shared, 1))
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, reps, chunk):
        bad, good = _weights(design, min(chunk, reps - start), rng)
        for key, values in unit_metrics(bad, good, fprs).items():
            parts.setdefault(key, []).append(values)
    out = {}
    for key, chunks in parts.items():
        values = np.concatenate(chunks)
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [0.025, 0.975]) if len(values) else (np.nan, np.nan)
        out[key] = [float(low), float(high)]
    return out


def mean_interval(values: np.ndarray, clusters: np.ndarray | None = None) -> list[float]:
    """Normal 95% interval of a mean; cluster-robust (sums of residuals per cluster) when
    rows come in clusters."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 2:
        return [float("nan"), float("nan")]
    mean = float(x.mean())
    resid = x - mean
    if clusters is None:
        var = float(np.sum(resid**2)) / (n * (n - 1))
    else:
        _, cluster = np.unique(clusters, return_inverse=True)
        sums = np.bincount(cluster, weights=resid)
        g = len(sums)
        var = float(np.sum(sums**2)) / n**2 * (g / (g - 1) if g > 1 else 1.0)
    half = Z95 * var**0.5
    return [mean - half, mean + half]
