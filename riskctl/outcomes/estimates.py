"""Label metrics three ways when some outcomes were never seen.

* naive: labelled rows only (what a backtest on history shows; biased when production chose
  which rows got an outcome), with its usual 95% interval;
* bounds: the lowest and highest the metric can be whatever the unseen outcomes were (each
  matured row with no label counted bad or good, whichever is worse, or better);
* estimate: inverse-propensity weighted and self-normalised over the rows whose outcome
  production let happen (the control group stands for the rows it stopped), with a
  delta-method 95% interval. Needs a control group (or propensities).

Every label metric of the registry with a ratio gets all three, for one strategy and for
candidate minus baseline (a paired interval), from the same per-row counts the metrics use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from riskctl.metrics.intervals import (
    Difference,
    Proportion,
    ratio_range,
    weighted_ratio,
    weighted_ratio_difference,
)
from riskctl.metrics.registry import METRICS, Counts, Metric, row_counts
from riskctl.outcomes.coverage import STATUSES, Coverage

Basis = Literal["naive", "bounds", "estimate"]
BASES: tuple[str, ...] = ("naive", "bounds", "estimate")
Measured = tuple[float, float, float]
_UNSEEN = [STATUSES.index("unlabelled"), STATUSES.index("blocked")]


@dataclass(frozen=True)
class ThreeWays:
    """One label metric (or its change) as naive, bounds and estimate."""

    naive: Difference
    low: float  # bounds: the lowest value any unseen outcomes allow
    high: float  # and the highest
    estimate: Difference | None  # None: no control group

    def measured(self, basis: Basis, direction: str) -> Measured | None:
        """value, low, high for a guardrail. Bounds give their pessimistic end as a point:
        the high end against a maximum, the low end against a minimum."""
        if basis == "naive":
            return self.naive.value, self.naive.low, self.naive.high
        if basis == "bounds":
            worst = self.high if direction == "max" else self.low
            return worst, math.nan, math.nan
        if self.estimate is None:
            return None
        return self.estimate.value, self.estimate.low, self.estimate.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "naive": self.naive.to_dict(),
            "bounds": [self.low, self.high],
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
        }


@dataclass(frozen=True)
class DecidedRows:
    """What the three ways need from one strategy's decisions, per row."""

    flagged: np.ndarray
    label: np.ndarray  # floats, NaN where no usable label
    amount: np.ndarray | None
    coverage: Coverage

    @property
    def unseen(self) -> np.ndarray:
        return np.isin(self.coverage.status, _UNSEEN)


def label_metrics(counts: Counts) -> list[Metric]:
    """The registry's label metrics with a ratio that these counts can give."""
    return [m for m in METRICS if m.labelled and m.ratio is not None and m.available(counts)]


def _sides(rows: DecidedRows) -> tuple[Counts, Counts, Counts]:
    """Per-row counts as seen, and of the unseen rows counted all bad and all good."""
    unseen = rows.unseen
    f, amount = rows.flagged[unseen], None if rows.amount is None else rows.amount[unseen]
    ones = np.ones(int(unseen.sum()))
    seen = row_counts(rows.flagged, rows.label, rows.amount)
    return seen, row_counts(f, ones, amount), row_counts(f, ones * 0, amount)


def _range(m: Metric, num: np.ndarray, den: np.ndarray, sides: tuple[Counts, Counts]) -> Any:
    """Bounds of sum(num) / sum(den) plus the unseen rows' contributions."""
    assert m.ratio is not None
    n, d = m.ratio
    as_bad, as_good = sides
    nb, db = np.asarray(getattr(as_bad, n)), np.asarray(getattr(as_bad, d))
    ng, dg = np.asarray(getattr(as_good, n)), np.asarray(getattr(as_good, d))
    return ratio_range(float(num.sum() + ng.sum()), float(den.sum() + dg.sum()), nb - ng, db - dg)


def strategy_estimates(rows: DecidedRows, counts: Counts) -> dict[str, ThreeWays]:
    """Every label metric of one strategy, three ways."""
    seen, as_bad, as_good = _sides(rows)
    weight = rows.coverage.weight
    out: dict[str, ThreeWays] = {}
    for m in label_metrics(counts):
        assert m.ratio is not None
        num, den = (np.asarray(getattr(seen, f)) for f in m.ratio)
        naive = m.measure(counts)
        if isinstance(naive, Proportion):
            first = Difference(naive.value, naive.low, naive.high)
        else:
            first = Difference(float(naive or math.nan), math.nan, math.nan)
        low, high = _range(m, num, den, (as_bad, as_good))
        est = None if weight is None else weighted_ratio(num, den, weight, m.is_share)
        out[m.key] = ThreeWays(first, low, high, est)
    return out


def change_estimates(
    base: DecidedRows,
    cand: DecidedRows,
    naive: dict[str, Difference],
    base_ways: dict[str, ThreeWays],
    cand_ways: dict[str, ThreeWays],
) -> dict[str, ThreeWays]:
    """Candidate minus baseline, three ways: paired on the same rows."""
    seen_b, bad_b, good_b = _sides(base)
    seen_c, bad_c, good_c = _sides(cand)
    weight = cand.coverage.weight
    out: dict[str, ThreeWays] = {}
    for key, first in naive.items():
        if key not in cand_ways or key not in base_ways:
            continue
        m = next(x for x in METRICS if x.key == key)
        assert m.ratio is not None
        n, d = m.ratio
        if m.paired == "difference":  # shared denominator: the exact range of the change
            num = np.asarray(getattr(seen_c, n)) - np.asarray(getattr(seen_b, n))
            shift_b = Counts(**{**bad_c.to_dict(), n: bad_c.to_dict()[n] - getattr(bad_b, n)})
            shift_g = Counts(**{**good_c.to_dict(), n: good_c.to_dict()[n] - getattr(good_b, n)})
            low, high = _range(m, num, np.asarray(getattr(seen_c, d)), (shift_b, shift_g))
        else:  # a valid (not always the narrowest) range from the two strategies' ranges
            c, b = cand_ways[key], base_ways[key]
            low, high = c.low - b.high, c.high - b.low
        est = None
        if weight is not None:
            est = weighted_ratio_difference(
                getattr(seen_b, n),
                getattr(seen_b, d),
                getattr(seen_c, n),
                getattr(seen_c, d),
                weight,
            )
        out[key] = ThreeWays(first, low, high, est)
    return out
