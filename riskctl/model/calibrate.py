"""Calibrating scores: isotonic regression or Platt scaling, fitted on the early-stopping
slice and stored in the manifest as plain numbers (breakpoints, or two coefficients): data,
never executable code.

Isotonic: the score is mapped through a non-decreasing step-free curve, linear between the
fitted breakpoints and flat beyond them (what scikit-learn's `IsotonicRegression` predicts
with `out_of_bounds="clip"`). Platt: a logistic regression on the score's log-odds,
`p = 1 / (1 + exp(-(a * logit(score) + b)))`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from riskctl.errors import DetectorError, UsageError

METHODS = ("isotonic", "platt")
_EPS = 1e-7


@dataclass(frozen=True)
class ScoreCalibration:
    method: str
    x: list[float] = field(default_factory=list)  # isotonic breakpoints (raw scores)
    y: list[float] = field(default_factory=list)  # calibrated score at each breakpoint
    a: float = 1.0  # Platt slope
    b: float = 0.0  # Platt intercept

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "isotonic":
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        z = self.a * _logit(raw) + self.b
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        if self.method == "isotonic":
            return {"method": self.method, "x": self.x, "y": self.y}
        return {"method": self.method, "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> ScoreCalibration:
        """Rebuild from a manifest, refusing anything but finite numbers in shape."""
        bad = DetectorError(f"{where}: malformed score calibration", hint="retrain the detector")
        if not isinstance(data, dict) or data.get("method") not in METHODS:
            raise bad
        if data["method"] == "platt":
            a, b = data.get("a"), data.get("b")
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in (a, b)):
                raise bad
            return cls("platt", a=float(a), b=float(b))  # type: ignore[arg-type]
        x, y = data.get("x"), data.get("y")
        if not (isinstance(x, list) and isinstance(y, list) and 0 < len(x) == len(y)):
            raise bad
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in x + y):
            raise bad
        xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if np.any(np.diff(xs) <= 0) or np.any(np.diff(ys) < 0) or ys.min() < 0 or ys.max() > 1:
            raise bad
        return cls("isotonic", x=[float(v) for v in x], y=[float(v) for v in y])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def fit_calibration(method: str, raw: np.ndarray, label: np.ndarray) -> ScoreCalibration:
    if method not in METHODS:
        raise UsageError(f"--calibrate must be isotonic or platt, not {method!r}")
    raw = np.asarray(raw, dtype=np.float64)
    label = np.asarray(label, dtype=np.float64)
    return _isotonic(raw, label) if method == "isotonic" else _platt(raw, label)


def _isotonic(raw: np.ndarray, label: np.ndarray) -> ScoreCalibration:
    from scipy.optimize import isotonic_regression

    xs, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=label) / counts
    fitted = isotonic_regression(means, weights=counts.astype(np.float64), increasing=True).x
    # keep the ends of each flat run: the same curve under linear interpolation
    keep = np.ones(len(xs), dtype=bool)
    if len(xs) > 2:
        flat_before = np.r_[False, fitted[1:] == fitted[:-1]]
        flat_after = np.r_[fitted[:-1] == fitted[1:], False]
        keep = ~(flat_before & flat_after)
    return ScoreCalibration(
        "isotonic", x=[float(v) for v in xs[keep]], y=[float(v) for v in fitted[keep]]
    )


def _platt(raw: np.ndarray, label: np.ndarray) -> ScoreCalibration:
    """Maximum-likelihood logistic fit of the label on logit(score), by Newton's method with
    step halving (a full step can overshoot when a few scores sit far out, e.g. exact 0s)."""
    z = _logit(raw)
    design = np.column_stack([z, np.ones_like(z)])
    coef = np.array([1.0, 0.0])
    loss = _log_loss(design @ coef, label)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ coef)))
        grad = design.T @ (p - label)
        hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        for _ in range(50):
            tried = _log_loss(design @ (coef - step), label)
            if tried <= loss:
                break
            step = step / 2
        coef, loss = coef - step, min(loss, tried)
        if np.max(np.abs(step)) < 1e-10:
            break
    return ScoreCalibration("platt", a=float(coef[0]), b=float(coef[1]))


def _log_loss(eta: np.ndarray, label: np.ndarray) -> float:
    """The negative log-likelihood of labels under logits `eta`, without overflow."""
    return float(np.sum(np.logaddexp(0.0, eta) - label * eta))
