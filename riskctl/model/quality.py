"""How good a detector is on its test slice: ranking, catch rate at fixed false-positive
rates, calibration and feature importance, each with the rows and bads it rests on and a 95%
interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from riskctl.model.bootstrap import BOOTSTRAP_REPS, bootstrap_intervals, mean_interval
from riskctl.model.ranking import pr_auc, roc_auc, tradeoff_curve

if TYPE_CHECKING:
    import xgboost as xgb

FPR_TARGETS = (0.001, 0.01, 0.05)
CALIBRATION_BINS = 10


def catch_rate_at_fpr(score: np.ndarray, label: np.ndarray, fpr: float) -> float:
    """The highest catch rate of any threshold whose false-positive rate is at most `fpr`."""
    curve = tradeoff_curve(score, label)
    ok = curve.false_positive_rate <= fpr + 1e-12
    return float(curve.catch_rate[ok].max()) if ok.any() else 0.0


def calibration_table(
    score: np.ndarray, label: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[dict[str, float | int | None]]:
    """Scores cut into `bins` equal-width bins over [0, 1]: predicted against observed.

    Equal width, not equal count: with rare bad rows, equal-count bins put every bad row in
    the top bin and say nothing about the scores where thresholds sit.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, bins - 1)
    table: list[dict[str, float | int | None]] = []
    for i in range(bins):
        idx = which == i
        n = int(idx.sum())
        table.append(
            {
                "bin": i + 1,
                "score_from": float(edges[i]),
                "score_to": float(edges[i + 1]),
                "rows": n,
                "bad": int(label[idx].sum()),
                "mean_score": float(score[idx].mean()) if n else None,
                "bad_rate": float(label[idx].mean()) if n else None,
            }
        )
    return table


def calibration_error(table: list[dict[str, float | int | None]]) -> float:
    """Expected calibration error: the row-weighted mean |mean score - bad rate| over bins."""
    rows = sum(int(r["rows"] or 0) for r in table)
    err = sum(
        int(r["rows"] or 0) * abs(float(r["mean_score"] or 0) - float(r["bad_rate"] or 0))
        for r in table
    )
    return err / rows if rows else float("nan")


def test_metrics(
    booster: xgb.Booster,
    score: np.ndarray,
    label: np.ndarray,
    clusters: np.ndarray | None = None,
    seed: int = 0,
    features: list[str] | None = None,
) -> dict[str, Any]:
    """Every metric of `score` against `label` (the test slice), with 95% intervals:
    the bootstrap, resampling whole clusters (groups) when given. `features`: the user's
    feature names, in the model's order (the model may carry positional names)."""
    label = label.astype(np.int64)
    calibration = calibration_table(score, label)
    gain = booster.get_score(importance_type="gain")
    inner = booster.feature_names or []
    names = list(features) if features is not None else inner  # the user's, when given
    importance = sorted(
        ((name, float(np.sum(gain.get(key, 0.0)))) for key, name in zip(inner, names, strict=True)),
        key=lambda kv: (-kv[1], kv[0]),
    )
    intervals = bootstrap_intervals(score, label, FPR_TARGETS, clusters, seed=seed)
    intervals["brier"] = mean_interval((score - label) ** 2, clusters)
    intervals["bad_rate"] = mean_interval(label, clusters)
    intervals["mean_score"] = mean_interval(score, clusters)
    return {
        "slice": "test",
        "rows": int(len(label)),
        "bad": int(label.sum()),
        "bad_rate": float(label.mean()),
        "mean_score": float(np.mean(score)),
        "roc_auc": roc_auc(score, label),
        "pr_auc": pr_auc(score, label),
        "catch_rate_at_fpr": {f"{t:g}": catch_rate_at_fpr(score, label, t) for t in FPR_TARGETS},
        "brier": float(np.mean((score - label) ** 2)),
        "calibration_error": calibration_error(calibration),
        "calibration": calibration,
        "intervals": intervals,
        "interval_method": {
            "ranking": f"Poisson bootstrap, {BOOTSTRAP_REPS} replicates (seed {seed}), "
            + ("whole groups" if clusters is not None else "rows")
            + " reweighted; 2.5% and 97.5% quantiles: roc_auc, pr_auc, catch_rate_at_fpr",
            "means": "normal interval of a mean"
            + (", cluster-robust by group" if clusters is not None else "")
            + ": brier, bad_rate, mean_score",
        },
        "importance_gain": dict(importance),
    }
