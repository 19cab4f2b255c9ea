"""`riskctl tune`: the threshold that meets a target, on the data or on a holdout."""

from __future__ import annotations

from riskctl.evaluate.metrics import matured
from riskctl.evaluate.simulate import SimulationRun, simulate_one
from riskctl.evaluate.thresholds import (
    Target,
    TuneResult,
    choose,
    evaluate_thresholds,
    holdout_split,
    threshold_at,
    tuned_threshold,
    with_holdout,
    with_threshold,
)
from riskctl.evaluate.tune_segments import tune_segments


def tune_run(
    run: SimulationRun,
    target: Target,
    action: str | None = None,
    score: str | None = None,
    holdout: float | None = None,
    by: str | None = None,
) -> TuneResult:
    loaded = run.candidate.loaded
    action, score = tuned_threshold(loaded, action, score)
    if by is not None:
        return tune_segments(run, target, action, score, holdout, by)
    roles = run.roles
    table = run.table
    notes = []
    hold_table = None
    if holdout:
        table, hold_table = holdout_split(table, roles, holdout)
        notes.append(
            f"tuned on {table.height:,} rows; {hold_table.height:,} "
            f"{'latest' if roles.time else 'random'} rows held out"
        )
    fit = simulate_one(loaded, table, roles)
    keep = matured(fit.decisions, roles, loaded.strategy.label_maturity_days)
    frame = evaluate_thresholds(
        fit.decisions.filter(keep), fit.schema, loaded, roles, action, score
    )
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
