"""`riskctl sweep`: trade-off curves of a score on a file, alone or inside a strategy
(its rules and other thresholds first: the curve's starting point)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.values import check_values
from riskctl.errors import UsageError
from riskctl.evaluate.simulate import run_simulation
from riskctl.evaluate.sweep import Curve, sweep
from riskctl.evaluate.thresholds import base_rank, overridden, row_mask, tuned_threshold


def sweep_file(
    data: Path,
    score: str | None,
    label: str | None,
    amount: str | None = None,
    by: str | None = None,
    strategy: Path | None = None,
    action: str | None = None,
    compact: bool = False,
) -> list[Curve]:
    """Curves of `score` on `data`; with a strategy, its rules and other thresholds first."""
    if strategy is not None:
        run = run_simulation(strategy, data, label=label, amount=amount, by=[by] if by else None)
        loaded, schema = run.candidate.loaded, run.candidate.schema
        action, score = tuned_threshold(loaded, action, score)
        decisions = run.candidate.decisions.filter(run.matured)
        base = base_rank(decisions, schema, loaded, action, score) < schema.pass_rank
        swept = decisions[score].cast(pl.Float64).to_numpy().copy()
        swept[base | row_mask(decisions, overridden(loaded, action, score))] = np.nan
        segs = decisions[by].cast(pl.String).fill_null("(none)").to_numpy() if by else None
        return sweep(
            swept,
            decisions[run.roles.label].to_numpy(),
            decisions[run.roles.amount].to_numpy() if run.roles.amount else None,
            base,
            segs,
            compact,
        )
    if score is None or label is None:
        raise UsageError("sweep needs --score and --label (or --strategy)")
    lf = scan_table(data)
    names = lf.collect_schema().names()
    wanted = {
        "score": score,
        "label": label,
        **({"amount": amount} if amount else {}),
        **({"by": by} if by else {}),
    }
    require_columns(names, wanted, str(data))
    df = lf.select(list(dict.fromkeys(wanted.values()))).collect()
    df = df.filter(pl.col(label).is_not_null())
    check_values(df, data, label=label, scores=[score], amount=amount)
    return sweep(
        df[score].cast(pl.Float64).to_numpy(),
        df[label].cast(pl.Int8).to_numpy(),
        df[amount].to_numpy() if amount else None,
        None,
        df[by].cast(pl.String).fill_null("(none)").to_numpy() if by else None,
        compact,
    )
