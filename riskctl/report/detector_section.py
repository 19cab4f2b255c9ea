"""The report's detector section: test-slice metrics with intervals, the table by period and
the evaluation warnings, read from the detector's manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from riskctl.model.detector import Detector


@dataclass(frozen=True)
class DetectorMetricRow:
    name: str
    value: str
    interval: str


@dataclass(frozen=True)
class DetectorPeriodRow:
    period: str
    rows: int
    bad: int
    bad_rate: str
    test_rows: int
    test_bad: int
    test_roc_auc: str


@dataclass(frozen=True)
class DetectorEvaluation:
    split: str
    metrics: list[DetectorMetricRow]
    period: str | None
    periods: list[DetectorPeriodRow] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (code, message)


def _row(m: dict[str, Any], name: str, key: str, pct: bool) -> DetectorMetricRow:
    path = key.split(".", 1)
    value = m[path[0]] if len(path) == 1 else m[path[0]][path[1]]
    low, high = m["intervals"][key]
    if pct:
        return DetectorMetricRow(
            name, f"{100 * value:.1f}%", f"{100 * low:.1f}% – {100 * high:.1f}%"
        )
    return DetectorMetricRow(name, f"{value:.4f}", f"{low:.4f} – {high:.4f}")


def detector_evaluation(detector: Detector | None) -> DetectorEvaluation | None:
    """None for a detector trained before test slices were recorded, or no detector."""
    if detector is None or "intervals" not in detector.manifest.get("metrics", {}):
        return None
    man = detector.manifest
    m, split = man["metrics"], man["split"]
    rows = [
        _row(m, "ROC AUC", "roc_auc", False),
        _row(m, "PR AUC", "pr_auc", False),
        *(
            _row(m, f"Catch rate at {100 * float(fpr):g}% FPR", f"catch_rate_at_fpr.{fpr}", True)
            for fpr in m["catch_rate_at_fpr"]
        ),
        _row(m, "Brier score", "brier", False),
        _row(m, "Bad rate", "bad_rate", True),
        _row(m, "Mean score", "mean_score", False),
    ]
    groups = f", groups kept whole by {', '.join(split['groups'])}" if split["groups"] else ""
    if split.get("duplicate_rows"):
        groups += f", {split['duplicate_rows']:,} duplicate rows kept with their copies"
    periods = [
        DetectorPeriodRow(
            p["period"] or "(no time)",
            p["rows"],
            p["bad"],
            f"{100 * p['bad_rate']:.2f}%",
            p["test_rows"],
            p["test_bad"],
            "" if p["test_roc_auc"] is None else f"{p['test_roc_auc']:.3f}",
        )
        for p in man.get("periods", [])
    ]
    return DetectorEvaluation(
        split=f"{split['kind']} split{groups}: {split['train_rows']:,} train, "
        f"{split['early_stopping_rows']:,} early-stopping and {split['test_rows']:,} test rows "
        f"({m['bad']:,} bad)",
        metrics=rows,
        period=man.get("period"),
        periods=periods,
        warnings=[(w["code"], w["message"]) for w in man.get("warnings", [])],
    )
