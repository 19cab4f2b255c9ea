"""Candidate against baseline on the same rows: paired deltas and the swap set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from riskctl.evaluate.coverage import Coverage
from riskctl.evaluate.estimates import ThreeWays, change_estimates
from riskctl.evaluate.intervals import Difference, paired_bootstrap_ratio, paired_difference
from riskctl.evaluate.metrics import Roles, StrategyMetrics, row_inputs
from riskctl.evaluate.registry import METRICS, Counts, Metric, row_counts
from riskctl.strategy.decisions import FLAGGED

SWAP_KINDS = ("swap-in", "swap-out", "both flag", "neither flags")


@dataclass(frozen=True)
class SwapCell:
    """Rows with one (baseline flagged?, candidate flagged?, label) combination; label None
    holds the rows whose outcome is unknown (no usable label)."""

    baseline_flagged: bool
    candidate_flagged: bool
    label: int | None
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
    estimates: dict[str, ThreeWays] = field(default_factory=dict)  # naive, bounds, estimate

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": {k: v.value for k, v in self.delta.items()},
            "intervals": {k: [v.low, v.high] for k, v in self.delta.items()},
            "swap_set": [c.to_dict() for c in self.swap_set],
            "estimates": {k: v.to_dict() for k, v in self.estimates.items()},
        }

    def cell(self, kind: str, label: int | None) -> SwapCell:
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
    coverage: Coverage,
    roles: Roles,
    base_metrics: StrategyMetrics,
    cand_metrics: StrategyMetrics,
) -> Comparison:
    """Both decision frames hold the same rows in the same order; `coverage` says which rows
    have a usable label (the others count in alert rate only, and in their own swap cells)."""
    base = row_inputs(baseline, roles, coverage)
    cand = row_inputs(candidate, roles, coverage)
    base_rows = row_counts(base.flagged, base.label, base.amount)
    cand_rows = row_counts(cand.flagged, cand.label, cand.amount)
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
    estimates = {}
    if base_metrics.estimates and cand_metrics.estimates:
        naive = {k: delta[k] for k in cand_metrics.estimates if k in delta}
        estimates = change_estimates(
            base, cand, naive, base_metrics.estimates, cand_metrics.estimates
        )
    return Comparison(
        delta, swap_cells(base.flagged, cand.flagged, cand.label, cand.amount), estimates
    )


def swap_cells(
    b: np.ndarray, c: np.ndarray, label: np.ndarray, amount: np.ndarray | None
) -> list[SwapCell]:
    """The 2x2 of flagged states split by label: bad, good, and unknown (NaN label)."""
    cells = []
    label = np.asarray(label, dtype=np.float64)
    unknown = np.isnan(label)
    for bf in (True, False):
        for cf in (True, False):
            for lab in (1, 0, None):
                which = unknown if lab is None else (label == lab)
                mask = (b == bf) & (c == cf) & which
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
