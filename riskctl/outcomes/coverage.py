"""Which rows have a usable label, why the others do not, and how to weight the seen ones.

A row's label is usable when it is present and has matured. The others are `immature`
(younger than `label_maturity_days`), `blocked` (production took an action after which no
outcome can exist, and the row was not in the control group) or `unlabelled` (no label for
any other reason, e.g. a truncated export). With a control group, each row whose outcome
production let happen gets an inverse-propensity weight: 1 / the probability it was let
through, so the weighted labelled rows stand for every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from riskctl.errors import DataError, UsageError
from riskctl.strategy.schema import History

STATUSES = ("labelled", "unlabelled", "immature", "blocked")
WHY = {
    "unlabelled": "unlabelled",
    "immature": "immature (label not matured)",
    "blocked": "blocked by production",
}


@dataclass(frozen=True)
class Coverage:
    """Per row: whether its label is usable, why not, and its weight in the estimate."""

    usable: np.ndarray  # bool: label present and matured
    status: np.ndarray  # index into STATUSES
    weight: np.ndarray | None  # inverse-propensity weight (0: not in the estimate); None: no
    # control group, so no unbiased estimate
    notes: list[str] = field(default_factory=list)
    stopped: np.ndarray | None = None  # bool: production took a no-outcome action

    def counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        status = self.status if mask is None else self.status[mask]
        found = np.bincount(status, minlength=len(STATUSES))
        return {name: int(found[i]) for i, name in enumerate(STATUSES)}

    def labels(self, label: pl.Series) -> np.ndarray:
        """The label as floats, NaN where it is not usable."""
        values = label.cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
        values[~self.usable] = np.nan
        return values

    def subset(self, mask: np.ndarray) -> Coverage:
        weight = None if self.weight is None else self.weight[mask]
        stopped = None if self.stopped is None else self.stopped[mask]
        return Coverage(self.usable[mask], self.status[mask], weight, self.notes, stopped)


def history_columns(history: History | None) -> list[str]:
    if history is None:
        return []
    return [c for c in (history.decision, history.control, history.propensity) if c]


def label_coverage(
    table: pl.DataFrame, label: str, matured: pl.Series, history: History | None
) -> Coverage:
    """Each row's label status and, with a control group or propensities, its weight."""
    present = table[label].is_not_null().to_numpy()
    mature = matured.to_numpy().astype(bool)
    usable = present & mature
    status = np.zeros(table.height, dtype=np.int64)
    status[~present & mature] = STATUSES.index("unlabelled")
    stopped = np.zeros(table.height, dtype=bool)
    control = np.zeros(table.height, dtype=bool)
    if history is not None and history.decision:
        stopped = table[history.decision].cast(pl.String).is_in(history.no_outcome).to_numpy()
        stopped = np.asarray(stopped, dtype=bool)
        if history.control:
            control = table[history.control].fill_null(False).to_numpy().astype(bool)
        status[~present & mature & stopped & ~control] = STATUSES.index("blocked")
    status[~mature] = STATUSES.index("immature")
    weight, notes = _weights(table, history, usable, stopped, control)
    return Coverage(usable, status, weight, notes, stopped)


def _weights(
    table: pl.DataFrame,
    history: History | None,
    usable: np.ndarray,
    stopped: np.ndarray,
    control: np.ndarray,
) -> tuple[np.ndarray | None, list[str]]:
    """1 / P(let through) for each usable row production let through (by its decision or
    the control group); 0 for the rest. None without a control group or propensities."""
    if history is None or not (history.control or history.propensity):
        return None, []
    through = ~stopped | control if history.control else np.ones(len(usable), dtype=bool)
    design = usable & through
    if stopped.any() and not (design & stopped).any():
        # weights can only stand in for stopped rows through stopped rows that were let
        # through; with none labelled the "estimate" would be the naive value in disguise
        return None, [
            f"no labelled row among the {int(stopped.sum()):,} rows production stopped was "
            "let through (control group): no unbiased estimate (naive and bounds only)"
        ]
    if history.propensity:
        p = table[history.propensity].cast(pl.Float64).to_numpy()
        bad = design & ~((p > 0) & (p <= 1))
        if bad.any():
            raise DataError(
                f"propensity column '{history.propensity}' has {int(bad.sum()):,} labelled "
                "rows outside (0, 1]",
                hint="it is the probability each row was let through: 1 for rows production "
                "allowed, the control rate for rows it would have stopped",
            )
        return np.where(design, 1.0 / np.where(design, p, 1.0), 0.0), []
    rate = float(control[stopped].mean()) if stopped.any() else 1.0
    weight = np.where(stopped, 1.0 / rate, 1.0)
    note = f"control group: {100 * rate:.2f}% of the rows production stopped were let through"
    return np.where(design, weight, 0.0), [note]


def curve_weight(coverage: Coverage, labels: str = "auto") -> np.ndarray | None:
    """The label weights a trade-off curve uses: the inverse-propensity weights for
    `estimate` (and for `auto` when there is a control group), none for `naive`."""
    if labels not in ("auto", "naive", "estimate"):
        raise UsageError(
            "--labels must be naive or estimate for curves and tuning",
            hint="bounds are shown by simulate, check and report",
        )
    if labels == "naive":
        return None
    if coverage.weight is None and labels == "estimate":
        raise UsageError(
            "--labels estimate needs a control group",
            hint="name it with `history: control:` (or --control), or pass --labels naive",
        )
    return coverage.weight
