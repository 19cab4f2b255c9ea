"""How well scores rank bad above good: the exact trade-off curve and its areas.

One sort and cumulative sums give every operating point at once; rows with equal scores are
one point, since a threshold flags them together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskctl.numbers import ratio


@dataclass(frozen=True)
class TradeoffCurve:
    """Operating points ordered from the highest threshold down (flagging more and more)."""

    threshold: np.ndarray  # flag rows with score >= threshold
    flagged_bad: np.ndarray
    flagged_good: np.ndarray
    total_bad: float
    total_good: float

    # the registry's definitions (`riskctl.metrics.registry`): NaN where undefined
    @property
    def catch_rate(self) -> np.ndarray:
        return ratio(self.flagged_bad, self.total_bad)

    @property
    def false_positive_rate(self) -> np.ndarray:
        return ratio(self.flagged_good, self.total_good)

    @property
    def precision(self) -> np.ndarray:
        return ratio(self.flagged_bad, self.flagged_bad + self.flagged_good)


def tradeoff_curve(
    score: np.ndarray, label: np.ndarray, weight: np.ndarray | None = None
) -> TradeoffCurve:
    """Exact curve at every distinct score; `weight` (e.g. amount) gives the money twin."""
    score = np.asarray(score, dtype=np.float64)
    label = np.asarray(label).astype(bool)
    w = np.ones_like(score) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.argsort(-score, kind="stable")
    s, y, w = score[order], label[order], w[order]
    cum_bad = np.cumsum(np.where(y, w, 0.0))
    cum_good = np.cumsum(np.where(y, 0.0, w))
    # the last row of each run of equal scores closes that threshold's point
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, dtype=bool)
    return TradeoffCurve(
        threshold=s[last],
        flagged_bad=cum_bad[last],
        flagged_good=cum_good[last],
        total_bad=float(cum_bad[-1]) if len(s) else 0.0,
        total_good=float(cum_good[-1]) if len(s) else 0.0,
    )


def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    c = tradeoff_curve(score, label)
    if not c.total_bad or not c.total_good:
        return float("nan")
    tpr = np.r_[0.0, c.catch_rate]
    fpr = np.r_[0.0, c.false_positive_rate]
    return float(np.trapezoid(tpr, fpr))


def pr_auc(score: np.ndarray, label: np.ndarray) -> float:
    """Average precision: the step-wise area under precision against catch rate."""
    c = tradeoff_curve(score, label)
    if not c.total_bad:
        return float("nan")
    recall = np.r_[0.0, c.catch_rate]
    return float(np.sum(np.diff(recall) * c.precision))
