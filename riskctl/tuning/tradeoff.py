"""`riskctl sweep`: trade-off curves of a score on a file, alone or inside a strategy
(its rules and other thresholds first: the curve's starting point)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.memory import CURVE_COPIES, check_fits
from riskctl.data.values import check_values, named_values, read_labels
from riskctl.errors import UsageError
from riskctl.outcomes.coverage import Coverage, curve_weight, history_columns, label_coverage
from riskctl.outcomes.history import check_history
from riskctl.simulation.by_values import check_by_values
from riskctl.simulation.evaluation_rows import EvaluationRows, check_choice
from riskctl.simulation.simulate import run_simulation
from riskctl.strategy.decisions import DecisionSchema
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import History
from riskctl.tuning.sweep import Curve, sweep
from riskctl.tuning.thresholds import base_rank, overridden, row_mask, tuned_threshold


def sweep_rows(
    data: Path,
    score: str | None,
    label: str | None,
    amount: str | None = None,
    by: str | None = None,
    strategy: Path | None = None,
    action: str | None = None,
    compact: bool = False,
    history: History | None = None,
    labels: str = "auto",
    rows: str | None = None,
) -> tuple[list[Curve], EvaluationRows | None]:
    """Curves of `score` on `data`; with a strategy, its rules and other thresholds first.
    Rows with no usable label count in alert rate only; with a control group (`history`,
    `labels` auto or estimate) label metrics are inverse-propensity weighted. Also which
    rows it swept: with a strategy naming a detector that
    recorded its split, `rows` (test, not-train, all) chooses them (see
    `riskctl.simulation.evaluation_rows`); a plain sweep knows no detector."""
    if strategy is not None:
        by_list = [by] if by else None
        run = run_simulation(
            strategy, data, label=label, amount=amount, by=by_list, production=history, rows=rows
        )
        loaded, schema = run.candidate.loaded, run.candidate.schema
        action, score = tuned_threshold(loaded, action, score)
        decisions = run.candidate.decisions
        swept, base = swept_scores(decisions, schema, loaded, action, score)
        segs = named_values(decisions[by]) if by else None
        curves = sweep(
            swept,
            run.coverage.labels(decisions[run.roles.label]),
            decisions[run.roles.amount].to_numpy() if run.roles.amount else None,
            base,
            segs,
            compact,
            curve_weight(run.coverage, labels),
        )
        return curves, run.evaluation_rows
    if score is None or label is None:
        raise UsageError("sweep needs --score and --label (or --strategy)")
    if check_choice(rows) in ("test", "not-train"):
        raise UsageError(
            f"--rows {rows} needs --strategy naming the detector whose split it reads",
            hint="pass --strategy FILE, or --rows all",
        )
    return _plain(data, score, label, amount, by, compact, history, labels), None


def _plain(
    data: Path,
    score: str,
    label: str,
    amount: str | None,
    by: str | None,
    compact: bool,
    history: History | None,
    labels: str,
) -> list[Curve]:
    """Curves of a score column alone."""
    lf = scan_table(data)
    names = lf.collect_schema().names()
    wanted = {
        "score": score,
        "label": label,
        **({"amount": amount} if amount else {}),
        **({"by": by} if by else {}),
    }
    require_columns(names, wanted, str(data))
    check_by_values(lf, [by] if by else None, what="curves sweep draws (one per value)")
    df, coverage = _read(lf, data, wanted, history)
    return sweep(
        df[score].cast(pl.Float64).to_numpy(),
        coverage.labels(df[label]),
        df[amount].to_numpy() if amount else None,
        None,
        named_values(df[by]) if by else None,
        compact,
        curve_weight(coverage, labels),
    )


def swept_scores(
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    loaded: LoadedStrategy,
    action: str,
    score: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Inside a strategy: each row's swept score (NaN where the threshold changes nothing:
    rows the rules and other thresholds already flag, and rows an override decides) and
    the rows flagged whatever the threshold (the curve's starting point)."""
    base = base_rank(decisions, schema, loaded, action, score) < schema.pass_rank
    swept = decisions[score].cast(pl.Float64).to_numpy().copy()
    swept[base | row_mask(decisions, overridden(loaded, action, score))] = np.nan
    return swept, base


def _read(
    lf: pl.LazyFrame, data: Path, wanted: dict[str, str], history: History | None
) -> tuple[pl.DataFrame, Coverage]:
    """The columns a plain sweep reads, checked, and each row's label status."""
    check_history(history, lf, [], data)
    columns = [*wanted.values(), *history_columns(history)]
    selected = lf.select(list(dict.fromkeys(columns)))
    check_fits(selected, str(data), CURVE_COPIES)
    df = selected.collect()
    label = wanted["label"]
    check_values(df, data, label=label, scores=[wanted["score"]], amount=wanted.get("amount"))
    df = df.with_columns(read_labels(df, label, data))
    everything = pl.Series([True] * df.height, dtype=pl.Boolean)
    return df, label_coverage(df, label, everything, history)
