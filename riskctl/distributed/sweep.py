"""`sweep` on a cluster: the exact trade-off curve from merged per-partition histograms.

Each partition is reduced by the one-machine engine to its score histogram
(`tuning/histogram.py`: per segment and distinct score, the bad and good rows and amounts a
threshold newly flags there, plus per-segment totals and what the strategy flags whatever
the threshold). The histograms of all partitions, merged, are the histogram of the whole
table, whose curves are the ones `tuning.tradeoff.sweep_rows` gives on one machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.values import (
    check_amount,
    check_amount_sum,
    check_rows,
    check_scores,
    read_labels,
)
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.parts import partitions
from riskctl.distributed.schemas import FirstPart
from riskctl.distributed.simulate import PartSpec, decisions_of, part_rows, plan
from riskctl.errors import UsageError
from riskctl.strategy.load import load_strategy
from riskctl.tuning.histogram import Histogram, histogram, merge_histograms
from riskctl.tuning.sweep import Curve, curves
from riskctl.tuning.thresholds import tuned_threshold
from riskctl.tuning.tradeoff import swept_scores


def _labels(coded: pl.Series) -> np.ndarray:
    """Coded labels (`label_codes`) as the histogram takes them: 1 bad, 0 good, NaN none."""
    return coded.cast(pl.Float64).fill_null(np.nan).to_numpy()


def plain_part(
    part: Path, score: str, label: str, amount: str | None, by: str | None, first: FirstPart
) -> Histogram:
    lf = scan_table(part)
    first.check(part, lf.collect_schema())
    names = lf.collect_schema().names()
    wanted = {"score": score, "label": label, **({"amount": amount} if amount else {})}
    wanted.update({"by": by} if by else {})
    require_columns(names, wanted, str(part))
    df = lf.select(list(dict.fromkeys(wanted.values()))).collect()
    labels = read_labels(df, label, part)  # as `sweep_rows` reads one; an empty part adds 0
    check_scores(df, [score], part)
    if amount:
        check_amount(df, amount, part)
    segs = df[by] if by else None  # missing: named after the merge
    scores = df[score].cast(pl.Float64).fill_null(np.nan).to_numpy()
    amounts = df[amount].cast(pl.Float64).to_numpy() if amount else None
    return histogram(scores, _labels(labels), amounts, None, segs)


def strategy_part(part: Path, spec: PartSpec, action: str, score: str, by: str | None) -> Histogram:
    """`sweep_rows`'s strategy branch on one partition."""
    rows, compiled = part_rows(part, spec)
    loaded, roles, schema, cutoff = spec.loaded[0], spec.roles, compiled[0].schema, spec.cutoffs[0]
    decisions = decisions_of(rows, compiled[0], spec.by)
    if cutoff is not None and roles.time is not None:
        decisions = decisions.filter(decisions[roles.time] <= cutoff)
    swept, base = swept_scores(decisions, schema, loaded, action, score)
    return histogram(
        swept,
        _labels(decisions[roles.label]),
        decisions[roles.amount].cast(pl.Float64).to_numpy() if roles.amount else None,
        base,
        decisions[by] if by else None,
    )


def sweep_dataset(
    data: Path,
    options: ClusterOptions,
    score: str | None,
    label: str | None,
    amount: str | None = None,
    by: str | None = None,
    strategy: Path | None = None,
    action: str | None = None,
    compact: bool = False,
) -> list[Curve]:
    """`sweep_rows` on a cluster: the same curves, from merged partition histograms."""
    if strategy is None and (score is None or label is None):
        raise UsageError("sweep needs --score and --label (or --strategy)")
    with Cluster(options) as cluster:
        if strategy is not None:
            loaded = load_strategy(strategy)
            action, score = tuned_threshold(loaded, action, score)
            p = plan(cluster, [loaded], data, (label, None, amount), [by] if by else [])
            calls = [(part, p.spec, action, score, by) for part in p.parts]
            hists = cluster.map(strategy_part, calls, name="sweep", per_part=True)
            column = p.spec.roles.amount
        else:
            parts = [p.resolve() for p in partitions(data)]
            used = [c for c in (score, label, amount, by) if c]
            first = FirstPart.of(parts[0], used)
            calls2 = [(part, score, label, amount, by, first) for part in parts]
            hists = cluster.map(plain_part, calls2, name="sweep", per_part=True)
            column = amount
    if not any(h.totals.height for h in hists):
        check_rows(pl.DataFrame(), data)
    if column is not None:  # each part's sums may be finite and the whole's not
        square = sum(float(h.totals["amount_sq"].sum()) for h in hists)
        check_amount_sum(square, column, data)
    return curves(merge_histograms(hists), by is not None, column is not None, compact)
