"""Label-free performance estimates from calibrated scores, and their check against labels.

With a calibrated score s_i = P(bad | row i), row i's label is a Bernoulli(s_i) draw, so the
number of bad rows in any set is Poisson-binomial: mean sum s_i, variance sum s_i (1 - s_i).
Writing FB for the flagged bad rows and MB for the missed ones (independent sums):

* expected bad rate = (FB + MB) / n
* expected precision = FB / flagged
* expected catch rate = FB / (FB + MB), its variance by the delta method
* alert rate = flagged / n is known without labels (Wilson interval)

Intervals are 95% normal ones. A detector is never perfectly calibrated: when its manifest
holds a validation calibration table, each score bin's relative gap between the bad rows it
expected and those it saw there (and that gap's own noise) widens the intervals, weighted by
how much of each estimate's score sum falls in that bin.

On rows whose labels have matured the realised values are compared with what the scores
expected of those same rows: a realised value more than DISAGREE_Z standard deviations
away means the scores no longer match outcomes (concept drift, or uncalibrated scores).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from riskctl.metrics.intervals import wilson
from riskctl.numbers import Z95

DISAGREE_Z = 3.0


@dataclass(frozen=True)
class Estimate:
    metric: str
    value: float | None
    low: float | None
    high: float | None
    sd: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RealisedCheck:
    metric: str
    expected: Estimate  # on the labelled rows only
    realised: float | None
    rows: int  # labelled rows the realised value counts
    z: float | None

    @property
    def agrees(self) -> bool:
        return self.z is None or abs(self.z) <= DISAGREE_Z

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "expected": self.expected.to_dict(),
            "realised": self.realised,
            "rows": self.rows,
            "z": self.z,
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class Estimates:
    score: str
    rows: int
    flagged: int
    unlabelled: int
    estimates: list[Estimate]
    checks: list[RealisedCheck] = field(default_factory=list)

    def get(self, metric: str) -> Estimate | None:
        return next((e for e in self.estimates if e.metric == metric), None)

    @property
    def warnings(self) -> list[str]:
        return [
            f"realised {c.metric.replace('_', ' ')} {c.realised:.2%} on {c.rows:,} labelled "
            f"rows is {abs(c.z or 0):.1f} standard deviations from the {c.expected.value:.2%} the "
            f"scores expect: scores no longer match outcomes (concept drift, or scores that "
            "are not calibrated)"
            for c in self.checks
            if not c.agrees and c.realised is not None and c.expected.value is not None
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "rows": self.rows,
            "flagged": self.flagged,
            "unlabelled": self.unlabelled,
            "estimates": [e.to_dict() for e in self.estimates],
            "checks": [c.to_dict() for c in self.checks],
            "warnings": self.warnings,
        }


def _normal(metric: str, value: float | None, var: float | None) -> Estimate:
    if value is None or var is None:
        return Estimate(metric, None, None, None, None)
    sd = math.sqrt(max(var, 0.0))
    return Estimate(metric, value, max(0.0, value - Z95 * sd), min(1.0, value + Z95 * sd), sd)


@dataclass(frozen=True)
class Calibration:
    """Per score bin, the relative calibration uncertainty of the scores, measured on the
    detector's validation slice: ((seen - expected) / expected)^2 + 1 / expected, in bad
    rows (the gap, and that gap's own noise)."""

    edges: tuple[float, ...]  # inner bin edges over [0, 1]
    rel_var: tuple[float, ...]  # one per bin

    def bin_of(self, scores: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.edges), scores, side="right")


def calibration_of(manifest: dict[str, Any]) -> Calibration | None:
    """The detector's validation calibration table as a Calibration; None without one."""
    table = (manifest.get("metrics") or {}).get("calibration") or []
    if not table or not all(isinstance(b, dict) and "score_from" in b for b in table):
        return None
    rel_var = []
    for b in table:
        expected = (b.get("mean_score") or 0.0) * b.get("rows", 0)
        gap = b.get("bad", 0) - expected
        rel_var.append((gap / expected) ** 2 + 1 / expected if expected > 0 else 0.0)
    edges = tuple(float(b["score_from"]) for b in table[1:])
    return Calibration(edges, tuple(rel_var))


def _systematic(
    s: np.ndarray, f: np.ndarray, calibration: Calibration | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per calibration bin: the flagged and the other rows' score sums, and the bin's
    relative calibration variance (empty arrays without a calibration)."""
    if calibration is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    k = len(calibration.rel_var)
    b = calibration.bin_of(s)
    fb = np.bincount(b[f], weights=s[f], minlength=k)[:k]
    mb = np.bincount(b[~f], weights=s[~f], minlength=k)[:k]
    return fb, mb, np.asarray(calibration.rel_var)


def expected_metrics(
    scores: np.ndarray, flagged: np.ndarray, calibration: Calibration | None = None
) -> list[Estimate]:
    """Expected bad rate, precision and catch rate (and the alert rate) of `flagged` rows.
    With a `calibration`, each score bin's calibration error (treated as independent across
    bins, and linearised) adds to the outcome noise."""
    s = np.asarray(scores, dtype=np.float64)
    f = np.asarray(flagged, dtype=bool)
    n, nf = len(s), int(f.sum())
    fb, mb = float(s[f].sum()), float(s[~f].sum())
    var_fb = float((s[f] * (1 - s[f])).sum())
    var_mb = float((s[~f] * (1 - s[~f])).sum())
    fb_b, mb_b, rv = _systematic(s, f, calibration)
    alert = wilson(nf, n)
    bad = fb + mb
    sys_bad = float((rv * (fb_b + mb_b) ** 2).sum())
    sys_fb = float((rv * fb_b**2).sum())
    sys_catch = float((rv * (fb_b * mb - fb * mb_b) ** 2).sum())
    return [
        Estimate("alert_rate", alert.value if n else None, alert.low, alert.high, None),
        _normal(
            "bad_rate", bad / n if n else None, (var_fb + var_mb + sys_bad) / n**2 if n else None
        ),
        _normal("precision", fb / nf if nf else None, (var_fb + sys_fb) / nf**2 if nf else None),
        _normal(
            "catch_rate",
            fb / bad if bad > 0 else None,
            (mb**2 * var_fb + fb**2 * var_mb + sys_catch) / bad**4 if bad > 0 else None,
        ),
    ]


def _realised(metric: str, y: np.ndarray, f: np.ndarray) -> float | None:
    if metric == "bad_rate":
        return float(y.mean()) if len(y) else None
    if metric == "precision":
        return float(y[f].mean()) if f.any() else None
    if metric == "catch_rate":
        return float(y[f].sum() / y.sum()) if y.sum() else None
    return None


def label_free_estimates(
    score: str,
    scores: np.ndarray,
    flagged: np.ndarray,
    labels: np.ndarray | None = None,
    calibration: Calibration | None = None,
) -> Estimates:
    """Estimates on every row; with `labels` (NaN where not matured), each estimate checked
    against the realised value on the labelled rows."""
    s = np.asarray(scores, dtype=np.float64)
    f = np.asarray(flagged, dtype=bool)
    scored = ~np.isnan(s)  # a row without a score is left out of every estimate
    s, f = s[scored], f[scored]
    if labels is not None:
        labels = np.asarray(labels, dtype=np.float64)[scored]
    known = ~np.isnan(labels) if labels is not None else np.zeros(len(s), dtype=bool)
    checks = []
    if labels is not None and known.any():
        y = np.asarray(labels, dtype=np.float64)[known]
        for e in expected_metrics(s[known], f[known], calibration):
            if e.metric == "alert_rate":
                continue
            realised = _realised(e.metric, y, f[known])
            z = None
            if realised is not None and e.value is not None and e.sd:
                z = (realised - e.value) / e.sd
            checks.append(RealisedCheck(e.metric, e, realised, int(known.sum()), z))
    return Estimates(
        score,
        len(s),
        int(f.sum()),
        int((~known).sum()),
        expected_metrics(s, f, calibration),
        checks,
    )
