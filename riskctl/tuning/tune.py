"""`riskctl tune`: the threshold that meets a target, on the data or on a holdout."""

from __future__ import annotations

import polars as pl

from riskctl.outcomes.coverage import curve_weight
from riskctl.simulation.simulate import Simulation, SimulationRun, simulate_one
from riskctl.simulation.strategy_metrics import Roles, no_label_text
from riskctl.tuning.thresholds import (
    Target,
    TuneResult,
    anchored,
    choose,
    evaluate_thresholds,
    threshold_at,
    tuned_threshold,
    tuning_rows,
    with_holdout,
    with_threshold,
)
from riskctl.tuning.tune_segments import tune_segments


def tune_run(
    run: SimulationRun,
    target: Target,
    action: str | None = None,
    score: str | None = None,
    holdout: float | None = None,
    by: str | None = None,
    labels: str = "auto",
) -> TuneResult:
    """The threshold that meets `target`. Rows with no usable label count in alert rate
    and review load; with a control group (`labels` auto or estimate) the label metrics
    come from the inverse-propensity weighted curve."""
    loaded = run.candidate.loaded
    action, score = tuned_threshold(loaded, action, score)
    if by is not None:
        result = tune_segments(run, target, action, score, holdout, by)
    else:
        result = _tune_one(run, target, action, score, holdout, labels)
    chosen = run.evaluation_rows
    if chosen is not None and chosen.warning:
        result.warnings.insert(0, chosen.warning)
    return result


def _tune_one(
    run: SimulationRun,
    target: Target,
    action: str,
    score: str,
    holdout: float | None,
    labels: str,
) -> TuneResult:
    loaded = run.candidate.loaded
    table = run.table
    roles = anchored(table, run.roles)  # a slice's labels mature as in the whole data
    table, hold_table, notes = tuning_rows(table, roles, holdout)
    fit = simulate_one(loaded, table, roles)
    frame = _curve(fit, roles, action, score, labels, notes)
    index, objective = choose(frame, target)
    before = loaded.strategy.thresholds.get(action, {}).get(score)
    if index is None:
        notes.append("no threshold meets the target on this data; the file is unchanged")
        after, met = before if before is not None else float("inf"), False
    else:
        after, met = threshold_at(frame, index), True
    tuned = with_threshold(loaded, action, score, after)
    after_fit = simulate_one(tuned, table, roles)
    result = TuneResult(
        action,
        score,
        target,
        before,
        after,
        met,
        objective,
        fit.metrics,
        after_fit.metrics,
        candidates=frame.height,
        notes=notes,
    )
    return with_holdout(result, loaded, tuned, hold_table, roles)


def _curve(
    fit: Simulation, roles: Roles, action: str, score: str, labels: str, notes: list[str]
) -> pl.DataFrame:
    """Every candidate threshold, rows with no usable label in review load and alert rate
    only, label sums weighted by the control group when there is one (and `labels` allows)."""
    assert fit.coverage is not None
    weight = curve_weight(fit.coverage, labels)
    if fit.metrics.counts.no_label:
        notes.append(no_label_text(fit.metrics.counts) + ": in review load and alert rate only")
    if weight is not None:
        notes.append("label metrics weighted by the control group (inverse propensity)")
    return evaluate_thresholds(
        fit.decisions,
        fit.schema,
        fit.loaded,
        roles,
        action,
        score,
        label=fit.coverage.labels(fit.decisions[roles.label]),
        weight=weight,
    )
