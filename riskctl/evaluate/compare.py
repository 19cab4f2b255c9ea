"""Candidate against baseline on the same rows: paired deltas and the swap set."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.evaluate.intervals import Difference, paired_bootstrap_ratio, paired_difference
from riskctl.evaluate.metrics import Roles, StrategyMetrics
from riskctl.evaluate.registry import METRICS, Counts, Metric, row_counts
from riskctl.strategy.decisions import FLAGGED

SWAP_KINDS = ("swap-in", "swap-out", "both flag", "neither flags")


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

    def cell(self, kind: str, label: int) -> SwapCell:
        return next(c for c in self.swap_set if c.kind == kind and c.label == label)


def _paired(m: Metric, base: Counts, cand: Counts) -> Difference:
    """Candidate minus baseline for one metric, from per-row counts of both."""
    assert m.ratio is not None
    num, den = m.ratio
    nb, db = getattr(base, num), getattr(base, den)
    nc, dc = getattr(cand, num), getattr(cand, den)
    if m.paired == "difference":  # the same fixed denominator on both sides
        rows = db > 0
        return paired_difference(nb[rows], nc[rows])
    return paired_bootstrap_ratio(nb, db, nc, dc)


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
    amount = (
        baseline[roles.amount].filter(keep).cast(pl.Float64).fill_null(0.0).to_numpy()
        if roles.amount
        else None
    )
    base_rows, cand_rows = row_counts(b, label, amount), row_counts(c, label, amount)
    delta: dict[str, Difference] = {}
    for m in METRICS:
        if not (m.available(base_metrics.counts) and m.available(cand_metrics.counts)):
            continue
        if m.paired == "point":
            before, after = base_metrics.value(m.key), cand_metrics.value(m.key)
            if before is None or after is None:
                continue
            delta[m.key] = Difference(float(after - before), float("nan"), float("nan"))
        else:
            delta[m.key] = _paired(m, base_rows, cand_rows)
    return Comparison(delta, swap_cells(b, c, label, amount))


def swap_cells(
    b: np.ndarray, c: np.ndarray, label: np.ndarray, amount: np.ndarray | None
) -> list[SwapCell]:
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
    return cells


def swap_rows(baseline: pl.DataFrame, candidate: pl.DataFrame) -> np.ndarray:
    """Indices of rows whose flagged state differs between the two strategies."""
    return np.flatnonzero(baseline[FLAGGED].to_numpy() != candidate[FLAGGED].to_numpy())
