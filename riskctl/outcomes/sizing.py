"""What a control group of a given size would buy: the width of the estimate's 95% interval.

The estimate's variance is a sum over rows of (weight x linearised residual)^2. Rows
production let through contribute as they are; rows it stopped are seen only through the
control group, so at control rate r each contributes 1 / r times its squared residual. That
sum over the stopped rows comes from the control rows already seen (each standing for
1 / its propensity stopped rows) or, with no control group yet, from the worst case of every
stopped row's unseen outcome: then the width is an upper bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from riskctl.metrics.registry import Counts, row_counts
from riskctl.numbers import Z95
from riskctl.outcomes.estimates import DecidedRows, label_metrics

CONTROL_RATES = (0.01, 0.02, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class Sizing:
    """Projected 95% interval width of one metric's estimate at each control rate."""

    key: str
    widths: dict[float, float]
    upper_bound: bool  # no control group yet: a worst case over the unseen outcomes


def control_sizing(
    rows: DecidedRows, counts: Counts, keys: tuple[str, ...] = ("catch_rate", "false_positive_rate")
) -> list[Sizing]:
    cov = rows.coverage
    stopped = cov.stopped if cov.stopped is not None else np.zeros(len(rows.flagged), bool)
    if not stopped.any():
        return []
    seen = row_counts(rows.flagged, rows.label, rows.amount)
    weight = cov.weight
    w = cov.usable.astype(np.float64) if weight is None else weight
    out = []
    for m in label_metrics(counts):
        if m.key not in keys or m.ratio is None:
            continue
        num, den = (np.asarray(getattr(seen, f), np.float64) for f in m.ratio)
        total = float((w * den).sum())
        if total <= 0:
            continue
        r = float((w * num).sum()) / total
        through = (w * (num - r * den)) ** 2
        free = float(through[~stopped].sum())
        if weight is not None:  # each seen stopped row stands for 1 / p stopped rows
            hidden = float((weight[stopped] * (num[stopped] - r * den[stopped]) ** 2).sum())
        else:
            hidden = _worst(rows, stopped, m.ratio, r)
        out.append(
            Sizing(
                m.key,
                {rate: 2 * Z95 * math.sqrt(free + hidden / rate) / total for rate in CONTROL_RATES},
                weight is None,
            )
        )
    return out


def _worst(rows: DecidedRows, stopped: np.ndarray, ratio: tuple[str, str], r: float) -> float:
    """Sum over stopped rows of the larger squared residual of their two possible outcomes."""
    f = rows.flagged[stopped]
    amount = None if rows.amount is None else rows.amount[stopped]
    sides = []
    for value in (1.0, 0.0):
        c = row_counts(f, np.full(len(f), value), amount)
        n, d = (np.asarray(getattr(c, x), np.float64) for x in ratio)
        sides.append((n - r * d) ** 2)
    return float(np.maximum(*sides).sum())
