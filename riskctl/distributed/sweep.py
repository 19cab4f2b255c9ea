"""`sweep` on a cluster: the exact trade-off curve from merged per-partition histograms.

Each partition reduces its rows to one row per (segment, distinct score): bad and good rows
and amounts the threshold newly flags there, plus per-segment totals and the rows the
strategy flags whatever the threshold. Summed over partitions and accumulated from the
highest score down, these give every operating point `evaluate.sweep` gives on one machine:
a threshold flags all rows with a score at or above it, so only the distinct values and
their counts matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.values import (
    check_amount,
    check_amount_sum,
    check_labels,
    check_rows,
    check_scores,
    name_missing,
)
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.parts import partitions
from riskctl.distributed.schemas import FirstPart
from riskctl.distributed.simulate import PartSpec, decisions_of, plan, read_rows
from riskctl.errors import UsageError
from riskctl.metrics.registry import NO_COSTS, Counts
from riskctl.strategy.load import load_strategy
from riskctl.tuning.sweep import Curve, _columns, compact_indices
from riskctl.tuning.thresholds import base_rank, overridden, row_mask, tuned_threshold

SEG, S, BAD, BASE, AMT = "segment", "s", "bad", "base", "amt"
F64_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Histogram:
    points: pl.DataFrame  # per (segment, score): b, g, a, ga newly flagged
    totals: pl.DataFrame  # per segment: rows, label_sum, bad, good, amounts, base counts


def histogram(rows: pl.DataFrame) -> Histogram:
    """`rows`: segment, score `s` (NaN: never changes), `bad`, `base`, amount `amt`."""
    bad, base = pl.col(BAD), pl.col(BASE)
    new = (~base).cast(pl.Float64)
    amt = pl.col(AMT)
    points = (
        rows.filter(pl.col(S).is_not_null() & pl.col(S).is_not_nan())
        .group_by(SEG, S)
        .agg(
            n=new.sum(),
            b=(bad.cast(pl.Float64) * new).sum(),
            g=((~bad).cast(pl.Float64) * new).sum(),
            a=(bad.cast(pl.Float64) * new * amt).sum(),
            ga=((~bad).cast(pl.Float64) * new * amt).sum(),
        )
    )
    totals = rows.group_by(SEG).agg(
        rows=pl.len().cast(pl.Int64),
        no_label=pl.col("label").is_null().sum().cast(pl.Int64),
        n0=base.sum().cast(pl.Int64),
        label_sum=pl.col("label").cast(pl.Int64).sum(),
        bad=bad.sum().cast(pl.Int64),
        good=(~bad).sum().cast(pl.Int64),
        bad_amount=amt.filter(bad).sum(),
        good_amount=amt.filter(~bad).sum(),
        b0=(bad & base).sum().cast(pl.Int64),
        g0=(~bad & base).sum().cast(pl.Int64),
        a0=amt.filter(bad & base).sum(),
        ga0=amt.filter(~bad & base).sum(),
        amount_sq=(amt * amt).sum(),
    )
    return Histogram(points, totals)


def _rows(
    score: pl.Series,
    label: pl.Series,
    amount: pl.Series | None,
    base: np.ndarray | None,
    segs: pl.Series | None,
) -> pl.DataFrame:
    """The per-row inputs of `evaluate.sweep.sweep`, as one frame."""
    n = len(score)
    amt = (
        pl.Series(np.zeros(n))
        if amount is None
        else pl.Series(np.nan_to_num(amount.cast(pl.Float64).to_numpy().astype(np.float64)))
    )
    return pl.DataFrame(
        {
            SEG: segs if segs is not None else pl.Series([None] * n, dtype=pl.String),
            S: score.cast(pl.Float64).fill_null(float("nan")),
            "label": label,
            BAD: label == 1,
            BASE: pl.Series(np.zeros(n, dtype=bool) if base is None else base),
            AMT: amt,
        }
    )


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
    check_labels(df, label, part)  # as `sweep_file` checks one file; an empty part adds 0
    check_scores(df, [score], part)
    if amount:
        check_amount(df, amount, part)
    segs = df[by].cast(pl.String) if by else None  # missing: named after the merge
    labels = df[label].fill_nan(None) if df[label].dtype.is_float() else df[label]
    return histogram(
        _rows(df[score], labels.cast(pl.Int8), df[amount] if amount else None, None, segs)
    )


def strategy_part(part: Path, spec: PartSpec, action: str, score: str, by: str | None) -> Histogram:
    """`sweep_file`'s strategy branch on one partition."""
    rows, compiled = read_rows(part, spec)
    loaded, roles, schema, cutoff = spec.loaded[0], spec.roles, compiled[0].schema, spec.cutoffs[0]
    decided = decisions_of(rows, compiled[0], spec.by)
    if cutoff is not None and roles.time is not None:
        decided = decided.filter(decided[roles.time] <= cutoff)
    decisions = decided
    base = base_rank(decisions, schema, loaded, action, score) < schema.pass_rank
    swept = decisions[score].cast(pl.Float64).to_numpy().copy()
    swept[base | row_mask(decisions, overridden(loaded, action, score))] = np.nan
    segs = decisions[by].cast(pl.String) if by else None
    return histogram(
        _rows(
            pl.Series(swept),
            decisions[roles.label],
            decisions[roles.amount] if roles.amount else None,
            base,
            segs,
        )
    )


def curve_of(points: pl.DataFrame, totals: dict, has_amount: bool, compact: bool) -> pl.DataFrame:
    """`evaluate.sweep.curve_frame` from a merged histogram of one segment."""
    sums = points.sort(S, descending=True).select(
        pl.col(S), *[pl.col(c).cum_sum().alias(f"c{c}") for c in ("n", "b", "g", "a", "ga")]
    )
    b0, g0 = float(totals["b0"]), float(totals["g0"])
    if compact:
        total_good = float(totals["good"])
        good_cum = np.r_[g0, g0 + sums["cg"].to_numpy()]
        picked = compact_indices(good_cum / total_good if total_good else good_cum * 0)
        sums = sums[(picked[1:] - 1).tolist()]

    def cum(column: str, start: float) -> np.ndarray:
        return np.r_[start, start + sums[column].to_numpy()]

    flagged_bad, flagged_good = cum("cb", b0), cum("cg", g0)
    counts = Counts(
        rows=int(totals["rows"]),
        bad=int(totals["bad"]),
        good=int(totals["good"]),
        flagged=cum("cn", float(totals["n0"])),  # rows with no label count here too
        flagged_bad=flagged_bad,
        flagged_good=flagged_good,
        bad_amount=float(totals["bad_amount"]) if has_amount else None,
        bad_amount_caught=cum("ca", float(totals["a0"])) if has_amount else None,
        good_amount=float(totals["good_amount"]) if has_amount else None,
        good_amount_impacted=cum("cga", float(totals["ga0"])) if has_amount else None,
    )
    cols = {"threshold": np.r_[np.inf, sums[S].to_numpy()]}
    cols.update(_columns(counts, NO_COSTS, False))
    return pl.DataFrame(cols)


def curves(parts: list[Histogram], by: str | None, has_amount: bool, compact: bool) -> list[Curve]:
    points = pl.concat([h.points for h in parts]).group_by(SEG, S).agg(pl.all().sum())
    totals = pl.concat([h.totals for h in parts]).group_by(SEG).agg(pl.all().sum())
    if by is None:
        empty = {c: 0 for c in totals.columns}
        row = totals.row(0, named=True) if totals.height else empty
        return [
            Curve(
                None,
                curve_of(points, row, has_amount, compact),
                row["rows"],
                row["label_sum"],
                row["no_label"],
            )
        ]
    missing = name_missing(totals[SEG].to_list())  # from every part's values
    points, totals = (f.with_columns(pl.col(SEG).fill_null(missing)) for f in (points, totals))
    out = []
    for row in totals.sort(SEG).iter_rows(named=True):
        mine = points.filter(pl.col(SEG) == row[SEG])
        curve = curve_of(mine, row, has_amount, compact)
        rows, bad, no_label = (int(row[c]) for c in ("rows", "label_sum", "no_label"))
        out.append(Curve(str(row[SEG]), curve, rows, bad, no_label))
    return out


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
    """`sweep_file` on a cluster: the same curves, from merged partition histograms."""
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
    return curves(hists, by, column is not None, compact)
