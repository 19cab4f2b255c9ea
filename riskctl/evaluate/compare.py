"""Candidate against baseline on the same rows: paired deltas and the swap set."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.evaluate.intervals import Difference, paired_bootstrap_ratio, paired_difference
from riskctl.evaluate.metrics import Roles, StrategyMetrics
from riskctl.strategy.engine import FLAGGED


@dataclass(frozen=True)
class SwapCell:
    """Rows with one (baseline flagged?, candidate flagged?, label) combination."""

    baseline_flagged: bool
    candidate_flagged: bool
    label: int
    rows: int
    amount: float | None

    @property
    def kind(self) -> str:
        if self.baseline_flagged == self.candidate_flagged:
            return "both flag" if self.candidate_flagged else "neither flags"
        return "swap-in" if self.candidate_flagged else "swap-out"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind}


@dataclass(frozen=True)
class Comparison:
    delta: dict[str, Difference]
    swap_set: list[SwapCell]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": {k: v.value for k, v in self.delta.items()},
            "intervals": {k: [v.low, v.high] for k, v in self.delta.items()},
            "swap_set": [c.to_dict() for c in self.swap_set],
        }


def compare(
    baseline: pl.DataFrame,
    candidate: pl.DataFrame,
    keep: pl.Series,
    roles: Roles,
    base_metrics: StrategyMetrics,
    cand_metrics: StrategyMetrics,
) -> Comparison:
    """Both frames hold the same rows in the same order; `keep` marks matured rows."""
    label = baseline[roles.label].filter(keep).to_numpy()
    b = baseline[FLAGGED].filter(keep).to_numpy()
    c = candidate[FLAGGED].filter(keep).to_numpy()
    is_bad, is_good = label == 1, label == 0
    delta = {
        "catch_rate": paired_difference(b[is_bad], c[is_bad]),
        "false_positive_rate": paired_difference(b[is_good], c[is_good]),
        "alert_rate": paired_difference(b, c),
        "precision": paired_bootstrap_ratio(b & is_bad, b, c & is_bad, c),
        "expected_cost": _point(cand_metrics.expected_cost - base_metrics.expected_cost),
    }
    if cand_metrics.review_per_day is not None and base_metrics.review_per_day is not None:
        delta["review_per_day"] = _point(cand_metrics.review_per_day - base_metrics.review_per_day)
    amount = (
        baseline[roles.amount].filter(keep).cast(pl.Float64).fill_null(0.0).to_numpy()
        if roles.amount
        else None
    )
    if amount is not None:
        bad_amount, good_amount = amount * is_bad, amount * is_good
        delta["amount_catch_rate"] = paired_bootstrap_ratio(
            bad_amount * b, bad_amount, bad_amount * c, bad_amount
        )
        delta["good_amount_impacted_rate"] = paired_bootstrap_ratio(
            good_amount * b, good_amount, good_amount * c, good_amount
        )
    cells = []
    for bf in (True, False):
        for cf in (True, False):
            for lab in (1, 0):
                mask = (b == bf) & (c == cf) & (label == lab)
                cells.append(
                    SwapCell(
                        bf,
                        cf,
                        lab,
                        int(mask.sum()),
                        float(amount[mask].sum()) if amount is not None else None,
                    )
                )
    return Comparison(delta, cells)


def _point(value: float) -> Difference:
    """A difference reported without an interval (none that is cheap and exact yet)."""
    return Difference(float(value), float("nan"), float("nan"))


def swap_rows(baseline: pl.DataFrame, candidate: pl.DataFrame) -> np.ndarray:
    """Indices of rows whose flagged state differs between the two strategies."""
    return np.flatnonzero(baseline[FLAGGED].to_numpy() != candidate[FLAGGED].to_numpy())
