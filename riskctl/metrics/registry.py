"""The metric registry: every strategy metric declared once.

A declaration says what the metric is (numerator over denominator of `Counts` fields, or a
formula), whether it is row- or amount-weighted, which direction is better, how it reads as
text and which interval it carries. Computing metrics, comparing strategies, guardrail
messages, trade-off curves, tuning objectives, terminal tables, reports, Markdown and JUnit
all read this list; adding a metric is one declaration here plus its test.

Counts and values work alike on numbers and on numpy arrays (one entry per threshold of a
curve), so a curve's metrics are the same formulas as a strategy's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from riskctl.metrics.intervals import Proportion, wilson
from riskctl.numbers import fmt_count, fmt_int, fmt_percent, fmt_points, missing, ratio
from riskctl.strategy.schema import Costs

Number = Any  # a float, or a numpy array of them (a curve)


@dataclass(frozen=True)
class Counts:
    """The sums every metric is made of.

    `rows`, `flagged`, `reviews` and `days` count every row, labelled or not (alert rate and
    review load need no label); the label sums (`bad`, `good`, `flagged_bad`, ...) count only
    rows whose label is usable (present and matured), possibly weighted. `unlabelled`,
    `immature` and `blocked` say how many rows had no usable label, and why.
    """

    rows: Number
    bad: Number
    good: Number
    flagged: Number
    flagged_bad: Number
    flagged_good: Number
    bad_amount: Number = None
    bad_amount_caught: Number = None
    good_amount: Number = None
    good_amount_impacted: Number = None
    reviews: Number = 0  # rows given an action that sends them to review
    days: Number = 0  # calendar days covered (0: no time column)
    review_peak: Number = None  # most rows sent to review on one day (None: not measured)
    days_over_capacity: Number = None  # days whose reviews exceed the review capacity
    flagged_labelled: Number = None  # flagged rows with a usable label (default: bad + good)
    unlabelled: Number = 0  # matured rows with no label (missing at random, e.g. truncated)
    immature: Number = 0  # rows younger than label_maturity_days
    blocked: Number = 0  # rows production stopped (no outcome can exist), outside control

    def __post_init__(self) -> None:
        if self.flagged_labelled is None:
            total = np.asarray(self.flagged_bad) + np.asarray(self.flagged_good)
            object.__setattr__(self, "flagged_labelled", total if total.ndim else total.item())

    @property
    def no_label(self) -> Number:
        """Rows with no usable label, whatever the reason."""
        return self.unlabelled + self.immature + self.blocked

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


NO_COSTS = Costs()  # the strategy file's costs (`costs:`), none set


def row_counts(flagged: np.ndarray, label: np.ndarray, amount: np.ndarray | None) -> Counts:
    """Each row's own contribution to every count: the paired intervals of candidate minus
    baseline, the bounds and the weighted estimates use these, so they use the very
    definitions the metrics use. A NaN label (no usable label) adds to rows and flagged only."""
    f = np.asarray(flagged, dtype=np.float64)
    lab = np.asarray(label, dtype=np.float64)
    bad = (lab == 1).astype(np.float64)
    good = (lab == 0).astype(np.float64)
    a = None if amount is None else np.nan_to_num(np.asarray(amount, dtype=np.float64))
    return Counts(
        rows=np.ones_like(f),
        bad=bad,
        good=good,
        flagged=f,
        flagged_bad=f * bad,
        flagged_good=f * good,
        bad_amount=None if a is None else a * bad,
        bad_amount_caught=None if a is None else a * bad * f,
        good_amount=None if a is None else a * good,
        good_amount_impacted=None if a is None else a * good * f,
        flagged_labelled=f * (bad + good),
    )


Paired = Literal["difference", "ratio", "point"]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    doc: str
    better: Literal["higher", "lower"] | None
    unit: Literal["share", "count", "days", "money"]
    weight: Literal["rows", "amount"] = "rows"
    ratio: tuple[str, str] | None = None  # (numerator, denominator) fields of Counts
    formula: Callable[[Counts, Costs], Number] | None = None
    interval: Literal["wilson", "none"] = "none"
    # candidate minus baseline: paired difference over a fixed denominator (Newcombe's score
    # interval from the 2x2 table of flagged states),
    # a paired bootstrap of the ratio, or a point with no interval
    paired: Paired = "point"
    needs: tuple[str, ...] = ()  # Counts fields that must be present (amount, time)
    labelled: bool = True  # needs labels: naive, bounds and estimate differ when some are unseen

    def available(self, c: Counts) -> bool:
        for name in self.needs:
            value = getattr(c, name)
            if value is None or (name == "days" and np.all(np.asarray(value) == 0)):
                return False
        return True

    def value(self, c: Counts, costs: Costs = NO_COSTS) -> Number:
        """The metric from counts (numbers or arrays); nan where it is undefined."""
        if not self.available(c):
            return None
        if self.ratio is not None:
            return ratio(*(getattr(c, f) for f in self.ratio))
        assert self.formula is not None
        return self.formula(c, costs)

    def measure(self, c: Counts, costs: Costs = NO_COSTS) -> Proportion | float | None:
        """A strategy's value: with its Wilson interval where the metric carries one."""
        if self.interval == "wilson" and self.ratio is not None:
            num, den = (int(getattr(c, f)) for f in self.ratio)
            return wilson(num, den)
        value = self.value(c, costs)
        return None if value is None else float(value)

    @property
    def is_share(self) -> bool:
        return self.unit == "share"

    def fmt(self, value: float | None, digits: int = 2) -> str:
        if self.unit == "share":
            return fmt_percent(value, digits)
        if self.unit == "days" and not missing(value):
            return fmt_int(round(value))  # type: ignore[arg-type]
        return fmt_count(value)

    def fmt_change(self, value: float | None, digits: int = 2) -> str:
        """A difference: percentage points for shares, signed numbers otherwise."""
        if self.unit == "share":
            return fmt_points(value, digits)
        if self.unit == "days" and not missing(value):
            return f"{round(value):+,}"  # type: ignore[arg-type]
        return fmt_count(value, signed=True)


def _missed(c: Counts) -> Number:
    """Missed bad amount; without an amount column each missed bad row costs 1."""
    if c.bad_amount is not None:
        return np.asarray(c.bad_amount) - np.asarray(c.bad_amount_caught)
    return np.asarray(c.bad) - np.asarray(c.flagged_bad)


def _expected_cost(c: Counts, costs: Costs) -> Number:
    cost = (
        _missed(c)
        + costs.false_positive * np.asarray(c.flagged_good, dtype=np.float64)
        + costs.review * np.asarray(c.reviews, dtype=np.float64)
    )
    return float(cost) if np.ndim(cost) == 0 else cost


def _review_per_day(c: Counts, costs: Costs) -> Number:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.asarray(c.reviews, dtype=np.float64) / np.asarray(c.days, dtype=np.float64)
    return float(out) if np.ndim(out) == 0 else out


def _count(field: str) -> Callable[[Counts, Costs], Number]:
    """A metric that is one of the counts itself (a day's peak, a number of days)."""

    def value(c: Counts, costs: Costs) -> Number:
        out = np.asarray(getattr(c, field), dtype=np.float64)
        return float(out) if np.ndim(out) == 0 else out

    return value


METRICS: tuple[Metric, ...] = (
    Metric(
        "catch_rate",
        "Catch rate",
        "flagged bad rows / all bad rows",
        "higher",
        "share",
        ratio=("flagged_bad", "bad"),
        interval="wilson",
        paired="difference",
    ),
    Metric(
        "false_positive_rate",
        "False-positive rate",
        "flagged good rows / all good rows",
        "lower",
        "share",
        ratio=("flagged_good", "good"),
        interval="wilson",
        paired="difference",
    ),
    Metric(
        "precision",
        "Precision",
        "flagged bad rows / flagged rows with a label",
        "higher",
        "share",
        ratio=("flagged_bad", "flagged_labelled"),
        interval="wilson",
        paired="ratio",
    ),
    Metric(
        "alert_rate",
        "Alert rate",
        "flagged rows / all rows (labelled or not)",
        None,
        "share",
        ratio=("flagged", "rows"),
        interval="wilson",
        paired="difference",
        labelled=False,
    ),
    Metric(
        "review_per_day",
        "Review load per day",
        "rows given a review action / calendar days covered",
        "lower",
        "count",
        formula=_review_per_day,
        needs=("days",),
        labelled=False,
    ),
    Metric(
        "review_peak_per_day",
        "Peak review load per day",
        "the most rows given a review action on one calendar day",
        "lower",
        "count",
        formula=_count("review_peak"),
        needs=("days", "review_peak"),
        labelled=False,
    ),
    Metric(
        "days_over_capacity",
        "Days over review capacity",
        "calendar days on which the rows given a review action exceed review_capacity_per_day",
        "lower",
        "days",
        formula=_count("days_over_capacity"),
        needs=("days", "days_over_capacity"),
        labelled=False,
    ),
    Metric(
        "amount_catch_rate",
        "Bad amount caught",
        "bad amount flagged / all bad amount",
        "higher",
        "share",
        weight="amount",
        ratio=("bad_amount_caught", "bad_amount"),
        paired="ratio",
        needs=("bad_amount",),
    ),
    Metric(
        "good_amount_impacted_rate",
        "Good amount hit",
        "good amount flagged / all good amount",
        "lower",
        "share",
        weight="amount",
        ratio=("good_amount_impacted", "good_amount"),
        paired="ratio",
        needs=("good_amount",),
    ),
    Metric(
        "expected_cost",
        "Expected cost",
        "missed bad amount + cost per false positive x false positives + cost per review x reviews",
        "lower",
        "money",
        formula=_expected_cost,
    ),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    return BY_KEY[key]


def curve_columns(c: Counts, costs: Costs) -> dict[str, np.ndarray]:
    """Every available metric of a curve (counts as arrays), one column each."""
    out: dict[str, np.ndarray] = {}
    for m in METRICS:
        value = m.value(c, costs)
        if value is not None:
            out[m.key] = np.asarray(value, dtype=np.float64)
    return out
