"""95% intervals for a detector's test metrics by the bootstrap.

ROC AUC, PR AUC, catch rate at a false-positive rate and the Brier score have no cheap exact
interval; each replicate reweights the test rows with Poisson(1) counts (or, with group
columns, whole groups at once: rows of a ring rise and fall together) and recomputes every
metric. Rows are sorted by score once; a replicate is a weighted cumulative sum along that
order, so the cost is O(rows) per replicate, in chunks that bound memory.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP_REPS = 1000
_CELLS_PER_CHUNK = 4_000_000


def _metrics(
    w: np.ndarray, s: np.ndarray, y: np.ndarray, last: np.ndarray, fprs: tuple[float, ...]
) -> dict[str, np.ndarray]:
    """Each metric for each row of weights `w` (replicates x rows, rows sorted by score)."""
    cum_bad = np.cumsum(w * y, axis=1)[:, last]
    cum_good = np.cumsum(w * (1 - y), axis=1)[:, last]
    total_bad, total_good = cum_bad[:, -1:], cum_good[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = cum_bad / total_bad
        fpr = cum_good / total_good
        flagged = cum_bad + cum_good
        precision = np.where(flagged > 0, cum_bad / flagged, 1.0)
        zero = np.zeros((len(w), 1))
        out = {
            "roc_auc": np.trapezoid(np.hstack([zero, tpr]), np.hstack([zero, fpr]), axis=1),
            "pr_auc": np.sum(np.diff(np.hstack([zero, tpr]), axis=1) * precision, axis=1),
            "brier": (w * (s - y) ** 2).sum(axis=1) / w.sum(axis=1),
            "bad_rate": total_bad[:, 0] / (total_bad[:, 0] + total_good[:, 0]),
            "mean_score": (w * s).sum(axis=1) / w.sum(axis=1),
        }
        for t in fprs:
            out[f"catch_rate_at_fpr.{t:g}"] = np.where(fpr <= t + 1e-12, tpr, 0.0).max(axis=1)
    usable = (total_bad[:, 0] > 0) & (total_good[:, 0] > 0)
    return {k: np.where(usable, v, np.nan) for k, v in out.items()}


def bootstrap_intervals(
    score: np.ndarray,
    label: np.ndarray,
    fprs: tuple[float, ...],
    clusters: np.ndarray | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> dict[str, list[float]]:
    """metric -> [low, high], the 2.5% and 97.5% quantiles over `reps` replicates."""
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(-score, kind="stable")
    s, y = score[order], np.asarray(label, dtype=np.float64)[order]
    if clusters is None:
        unit = np.arange(len(s))
    else:
        _, unit = np.unique(np.asarray(clusters)[order], return_inverse=True)
    n_units = int(unit.max()) + 1 if len(unit) else 0
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, dtype=bool)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(len(s), 1))
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, reps, chunk):
        size = min(chunk, reps - start)
        w = rng.poisson(1.0, size=(size, n_units)).astype(np.float64)[:, unit]
        for key, values in _metrics(w, s, y, last, fprs).items():
            parts.setdefault(key, []).append(values)
    out = {}
    for key, chunks in parts.items():
        values = np.concatenate(chunks)
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [0.025, 0.975]) if len(values) else (np.nan, np.nan)
        out[key] = [float(low), float(high)]
    return out
