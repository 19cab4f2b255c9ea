"""Tuning one threshold per segment, exactly, so that the target holds over all rows.

Segments are disjoint, so flags, reviews and cost add up across them. For every total number
of bad rows caught, b, a dynamic programme over the segments finds the least good rows
flagged (or reviews, or rows flagged) that any combination of per-segment thresholds needs
to catch exactly b. The best feasible b answers the target; backtracking gives the
thresholds. Cost is separable, so --min-cost takes each segment's own best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.data.values import NONE, name_missing
from riskctl.errors import DataError, UsageError
from riskctl.simulation.by_values import MAX_TUNED_SEGMENTS, check_by_values
from riskctl.simulation.simulate import SimulationRun, simulate_one
from riskctl.simulation.strategy_metrics import Roles
from riskctl.strategy.decisions import SEGMENT, DecisionSchema
from riskctl.strategy.load import LoadedStrategy
from riskctl.tuning.thresholds import (
    Target,
    TuneResult,
    anchored,
    evaluate_thresholds,
    threshold_at,
    tuning_rows,
    with_holdout,
    with_segment_thresholds,
)


@dataclass(frozen=True)
class SegmentCurve:
    value: str
    frame: pl.DataFrame  # evaluate_thresholds output for this segment's rows


def segment_curves(
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    loaded: LoadedStrategy,
    roles: Roles,
    action: str,
    score: str,
    by: str,
    days: int | None,
    missing: str = NONE,
) -> list[SegmentCurve]:
    """Per value of `by` (rows with none under `missing`), its threshold curve."""
    values = decisions[by].cast(pl.String).fill_null(missing)
    curves = []
    for value in sorted(values.unique().to_list()):
        rows = decisions.filter(values == value)
        # a strategy segment's rows follow its own threshold once tuned; so do a new one's
        curves.append(
            SegmentCurve(
                value,
                evaluate_thresholds(
                    rows, schema, loaded, roles, action, score, all_tunable=True, days=days
                ),
            )
        )
    return curves


def _selectable(table: pl.DataFrame, column: str) -> None:
    """Each value of a `--by` column must be one a segment's condition can select."""
    if column not in table.columns:  # the strategy's segments
        return
    values = table[column]
    if not values.dtype.is_float():
        return
    odd = int((values.is_nan() | values.is_infinite()).sum())
    if odd:
        raise DataError(
            f"--by {column}: the column holds {odd:,} NaN or infinite values, which no "
            "segment condition can select",
            hint="fill or drop them first, or tune by a binned copy of the column",
        )


def missing_value(decisions: pl.DataFrame, by: str) -> str:
    """The name rows with no value of `by` go by: `(none)` for rows in no segment (no
    segment may be named so); for a column, one no value of it is spelled as."""
    if by == SEGMENT:
        return NONE
    return name_missing(decisions[by].cast(pl.String).unique().to_list())


def _resource(frame: pl.DataFrame, target: Target) -> np.ndarray:
    if target.kind in ("max_fpr", "min_catch_rate"):
        return frame["flagged_good"].to_numpy().astype(np.float64)
    if target.kind == "review_capacity":
        return frame["reviews"].to_numpy().astype(np.float64)
    if target.kind == "min_precision":
        return frame["flagged"].to_numpy().astype(np.float64)
    raise UsageError(f"no per-segment programme for {target.kind}")


def choose_per_segment(
    curves: list[SegmentCurve], target: Target, total_bad: int, total_good: int, days: int | None
) -> dict[str, int] | None:
    """Index of the chosen point in each segment's frame, or None when nothing meets it."""
    if target.kind == "min_cost":
        return {c.value: int(np.argmin(c.frame["expected_cost"].to_numpy())) for c in curves}
    size = total_bad + 1
    best = np.full(size, np.inf)
    best[0] = 0.0
    choices: list[np.ndarray] = []
    for c in curves:
        bad = c.frame["flagged_bad"].to_numpy().astype(np.int64)
        res = _resource(c.frame, target)
        # per bad count keep the cheapest point: the programme needs nothing else
        order = np.lexsort((res, bad))
        first = np.r_[True, bad[order][1:] != bad[order][:-1]]
        keep = order[first]
        new = np.full(size, np.inf)
        pick = np.full(size, -1, dtype=np.int64)
        for i in keep:
            shifted = np.full(size, np.inf)
            shifted[bad[i] :] = best[: size - bad[i]] + res[i]
            better = shifted < new
            new[better] = shifted[better]
            pick[better] = i
        best = new
        choices.append(pick)
    b_values = np.arange(size)
    v = float(target.value or 0.0)
    feasible = np.isfinite(best)
    if target.kind == "max_fpr":
        feasible &= best <= v * total_good + 1e-9
    elif target.kind == "review_capacity":
        if days is None:
            raise UsageError("--review-capacity needs a time column")
        feasible &= best <= v * days + 1e-9
    elif target.kind == "min_precision":
        with np.errstate(invalid="ignore", divide="ignore"):
            feasible &= np.where(best > 0, b_values / best, -1.0) >= v - 1e-12
    elif target.kind == "min_catch_rate":
        feasible &= b_values >= v * total_bad - 1e-9
    if not feasible.any():
        return None
    if target.kind == "min_catch_rate":
        candidates = np.flatnonzero(feasible)
        b = int(candidates[np.argmin(best[candidates])])
    else:
        b = int(np.flatnonzero(feasible).max())
    chosen: dict[str, int] = {}
    for c, pick in zip(reversed(curves), reversed(choices), strict=True):
        i = int(pick[b])
        chosen[c.value] = i
        b -= int(c.frame["flagged_bad"][i])
    return chosen


def segment_column(loaded: LoadedStrategy, by: str, columns: list[str]) -> str:
    if by == SEGMENT:
        if not loaded.strategy.segments:
            raise UsageError(
                "--by segment needs segments in the strategy",
                hint="or name a data column: --by COL",
            )
        return SEGMENT
    if loaded.strategy.segments:
        raise UsageError(
            f"--by {by}: this strategy already has segments, and the first matching segment wins",
            hint="use --by segment to tune them",
        )
    if by not in columns:
        raise UsageError(f"--by names an unknown column '{by}'")
    return by


def tune_segments(
    run: SimulationRun, target: Target, action: str, score: str, holdout: float | None, by: str
) -> TuneResult:
    loaded = run.candidate.loaded
    column = segment_column(loaded, by, run.table.columns)
    table = run.table
    check_by_values(table, [column], MAX_TUNED_SEGMENTS, "segments tune writes (one per value)")
    _selectable(table, column)
    roles = anchored(table, run.roles)  # a slice's labels mature as in the whole data
    table, hold_table, notes = tuning_rows(table, roles, holdout)
    fit = simulate_one(loaded, table, roles, by=[column])
    assert fit.coverage is not None
    decisions = fit.decisions.filter(pl.Series(fit.coverage.usable))  # labelled rows only
    days = max(decisions[roles.time].dt.date().n_unique(), 1) if roles.time else None
    missing = missing_value(decisions, column)
    curves = segment_curves(
        decisions, fit.schema, loaded, roles, action, score, column, days, missing
    )
    bad = int((decisions[roles.label] == 1).sum())
    chosen = choose_per_segment(curves, target, bad, decisions.height - bad, days)
    before = loaded.strategy.thresholds.get(action, {}).get(score)
    if chosen is None:
        notes.append(
            "no combination of thresholds meets the target on this data; the file is unchanged"
        )
        values: dict[str, float] = {}
        tuned = loaded
    else:
        values = {c.value: threshold_at(c.frame, chosen[c.value]) for c in curves}
        dtypes = dict(table.schema)
        tuned = with_segment_thresholds(loaded, action, score, column, values, dtypes, missing)
    after_fit = simulate_one(tuned, table, roles)
    result = TuneResult(
        action,
        score,
        target,
        before,
        values.get(NONE, before if before is not None else float("inf"))
        if column == SEGMENT
        else (before if before is not None else float("inf")),
        chosen is not None,
        "per segment",
        fit.metrics,
        after_fit.metrics,
        candidates=sum(c.frame.height for c in curves),
        notes=notes,
        segments=values,
        by=column,
        missing=missing,
    )
    return with_holdout(result, loaded, tuned, hold_table, roles)
