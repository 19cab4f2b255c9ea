"""Candidate against baseline on the same rows: paired deltas and the swap set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from riskctl.metrics.intervals import (
    Difference,
    paired_bootstrap_cells,
    paired_proportions,
    replicate_totals,
)
from riskctl.metrics.registry import METRICS, row_counts
from riskctl.outcomes.estimates import ThreeWays
from riskctl.simulation.cells import Cells, ranks
from riskctl.simulation.strategy_metrics import StrategyMetrics
from riskctl.strategy.decisions import FLAGGED, DecisionSchema

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


def compare_cells(
    cells: Cells,
    base: tuple[str, DecisionSchema],
    cand: tuple[str, DecisionSchema],
    base_metrics: StrategyMetrics,
    cand_metrics: StrategyMetrics,
) -> Comparison:
    """Candidate minus baseline on the same rows, from the cells of both. Rows with no
    usable label (immature, unlabelled, blocked) count in alert rate and in the swap set's
    unknown-outcome cells, not in label metrics."""
    mature = cells
    b = ranks(mature.bits(base[0], base[1]), base[1]) != base[1].pass_rank
    c = ranks(mature.bits(cand[0], cand[1]), cand[1]) != cand[1].pass_rank
    label, rows = np.where(cells.matured(cand[0]), mature.label, -1), mature.rows
    has_amount = cells.roles.amount is not None
    swap = swap_cells(b, c, label, rows, mature.amount if has_amount else None)
    # every ratio metric is a sum of per-cell coefficients times the cell's rows or amount
    keys = [
        (bool(x.baseline_flagged), bool(x.candidate_flagged), -1 if x.label is None else x.label)
        for x in swap
    ]
    ones = np.ones(len(keys))
    kb = row_counts(np.array([k[0] for k in keys]), np.array([k[2] for k in keys]), ones)
    kc = row_counts(np.array([k[1] for k in keys]), np.array([k[2] for k in keys]), ones)
    sums = _cell_sums(mature, b, c, label, keys)
    delta: dict[str, Difference] = {}
    for m in METRICS:
        if not (m.available(base_metrics.counts) and m.available(cand_metrics.counts)):
            continue
        if m.paired == "point":
            before, after = base_metrics.value(m.key), cand_metrics.value(m.key)
            if before is not None and after is not None:
                delta[m.key] = Difference(float(after - before), float("nan"), float("nan"))
            continue
        assert m.ratio is not None
        num, den = m.ratio
        if m.paired == "difference":  # a fixed denominator: the paired 2x2 table
            delta[m.key] = _difference(swap, getattr(kb, den) > 0)
            continue
        which = "amount" if m.weight == "amount" else "rows"
        coefficients = (getattr(kb, num), getattr(kb, den), getattr(kc, num), getattr(kc, den))
        delta[m.key] = paired_bootstrap_cells(coefficients, sums[which], sums[f"point_{which}"])
    return Comparison(delta, swap)


def _difference(swap: list[SwapCell], inside: np.ndarray) -> Difference:
    """Paired difference over the rows of the cells `inside` the denominator, from their
    2x2 table of flagged states (both, baseline only, candidate only, neither)."""
    table = dict.fromkeys(SWAP_KINDS, 0)
    for cell, within in zip(swap, inside, strict=True):
        if within:
            table[cell.kind] += cell.rows
    return paired_proportions(
        table["both flag"], table["swap-out"], table["swap-in"], table["neither flags"]
    )


def _cell_sums(
    mature: Cells, b: np.ndarray, c: np.ndarray, label: np.ndarray, keys: list[tuple]
) -> dict[str, np.ndarray]:
    """Row and amount totals of each swap cell, and their bootstrap replicates."""
    index = {k: i for i, k in enumerate(keys)}
    slot = np.array(
        [index.get((bool(x), bool(y), int(z)), -1) for x, y, z in zip(b, c, label, strict=True)],
        dtype=np.int64,
    )
    kept = slot >= 0
    rows, amount, amount_sq = (np.zeros(len(keys)) for _ in range(3))
    # each column read once (a Cells property converts it on every access)
    for total, column in (
        (rows, mature.rows),
        (amount, mature.amount),
        (amount_sq, mature.amount_sq),
    ):
        np.add.at(total, slot[kept], np.asarray(column, dtype=np.float64)[kept])
    counts, amounts = replicate_totals(rows, amount, amount_sq)
    return {"rows": counts, "amount": amounts, "point_rows": rows, "point_amount": amount}


def swap_cells(
    b: np.ndarray,
    c: np.ndarray,
    label: np.ndarray,
    rows: np.ndarray,
    amount: np.ndarray | None,
) -> list[SwapCell]:
    """The 2x2 of flagged states split by label: bad, good, and unknown (label -1)."""
    cells = []
    for bf in (True, False):
        for cf in (True, False):
            for lab in (1, 0, None):
                mask = (b == bf) & (c == cf) & (label == (-1 if lab is None else lab))
                cells.append(
                    SwapCell(
                        bf,
                        cf,
                        lab,
                        int(rows[mask].sum()),
                        float(amount[mask].sum()) if amount is not None else None,
                    )
                )
    return cells


def swap_rows(baseline: pl.DataFrame, candidate: pl.DataFrame) -> np.ndarray:
    """Indices of rows whose flagged state differs between the two strategies."""
    return np.flatnonzero(baseline[FLAGGED].to_numpy() != candidate[FLAGGED].to_numpy())
