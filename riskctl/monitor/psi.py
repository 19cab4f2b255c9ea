"""Population stability index per column, missing-rate and unseen-category changes.

PSI = sum over bins of (cur - ref) * ln(cur / ref), with both proportions floored at 1e-4
(bins in `riskctl.model.bins`). Bins come from the detector's training data when its manifest
stores them (so the number is comparable run to run), else from the reference table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from riskctl.model.bins import CATEGORICAL, Bins, kind_of, reference_bins

FLOOR = 1e-4


def psi(reference: np.ndarray, current: np.ndarray) -> float | None:
    """PSI of two count (or proportion) vectors over the same bins; None if either is empty."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.sum() <= 0 or cur.sum() <= 0:
        return None
    p = np.maximum(ref / ref.sum(), FLOOR)
    q = np.maximum(cur / cur.sum(), FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


@dataclass(frozen=True)
class FeatureDrift:
    column: str
    kind: str
    bins_from: str  # "detector" (training bins) or "reference" (the reference table)
    psi: float | None
    labels: list[str]
    reference_share: list[float]
    current_share: list[float]
    missing_reference: float
    missing_current: float
    unseen_share: float | None = None  # categorical: current rows with a category never seen
    unseen_values: list[tuple[str, int]] = field(default_factory=list)
    construction: str | None = None  # why it drifts by construction (see monitor.construction)

    @property
    def missing_change(self) -> float:
        return self.missing_current - self.missing_reference

    def top_bin(self) -> str:
        """The bin whose share moved most."""
        moves = np.abs(np.array(self.current_share) - np.array(self.reference_share))
        return self.labels[int(np.argmax(moves))] if len(moves) else ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["missing_change"] = self.missing_change
        d["unseen_values"] = [{"value": v, "rows": n} for v, n in self.unseen_values]
        return d


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def column_drift(
    column: str,
    current: pl.Series,
    reference: pl.Series | None,
    stored: Bins | None = None,
) -> FeatureDrift:
    """One column's drift. With `stored` bins, their edges; the reference counts are the
    reference table's when given, else the stored training counts."""
    if stored is not None:
        bins, source = stored, "detector"
    elif reference is not None:
        bins, source = reference_bins(reference), "reference"
    else:
        raise ValueError("a reference column or stored bins are needed")
    # bins made from the reference already hold its counts
    recount = reference is not None and source == "detector"
    ref_counts = (
        bins.count(reference) if reference is not None and recount else np.array(bins.counts)
    )
    cur_counts = bins.count(current)
    cats = bins.kind == CATEGORICAL
    cur_total = int(cur_counts.sum())
    unseen = float(cur_counts[-2] / cur_total) if cats and cur_total else (0.0 if cats else None)
    return FeatureDrift(
        column=column,
        kind=bins.kind,
        bins_from=source,
        psi=psi(ref_counts, cur_counts),
        labels=bins.labels(),
        reference_share=_shares(ref_counts),
        current_share=_shares(cur_counts),
        missing_reference=_shares(ref_counts)[-1] if ref_counts.sum() else 0.0,
        missing_current=_shares(cur_counts)[-1] if cur_total else 0.0,
        unseen_share=unseen,
        unseen_values=bins.unseen_values(current) if cats else [],
    )


def drift_table(
    current: pl.DataFrame,
    reference: pl.DataFrame | None,
    columns: list[str],
    stored: dict[str, Bins] | None = None,
) -> list[FeatureDrift]:
    """Drift of each column, largest PSI first (columns PSI cannot cover are skipped)."""
    stored = stored or {}
    out = []
    for c in columns:
        if c not in stored and (reference is None or kind_of(current.schema[c]) is None):
            continue
        ref = reference[c] if reference is not None else None
        out.append(column_drift(c, current[c], ref, stored.get(c)))
    return sorted(out, key=lambda d: (-(d.psi if d.psi is not None else -1.0), d.column))


def stored_bins(manifest: dict[str, Any]) -> dict[str, Bins]:
    """The training bins a detector's manifest holds; {} for detectors trained before
    riskctl stored them (monitor then bins on the reference table)."""
    raw = manifest.get("bins") or {}
    return {name: Bins.from_dict(name, d) for name, d in raw.items()}
