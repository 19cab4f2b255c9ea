"""Earlier rows as context: `--context` aligned to the data, without the rows it shares.

Context is the rows before the data that windows and rings need. Exports overlap easily
(the full table as context, its newest slice as data), and a row in both would count twice,
so context rows that repeat a data row are left out. Two copies of one event are matched on
every column but the outcomes (the spec's `outcomes:` and ring labels, and a detector's
label): a label that matured between the two exports does not make them two events. A
ring's label that only the context holds (new rows have no outcome yet) is kept, and the
data's rows read it as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from riskctl.features.spec import FeatureSpec


@dataclass(frozen=True)
class WithContext:
    rows: pl.LazyFrame  # context first, then the data
    context_rows: int
    shared_rows: int  # context rows left out because the data has them too
    added: list[str]  # columns only the context had (null on the data's rows): drop after


def with_context(
    data: pl.LazyFrame,
    context: pl.LazyFrame,
    spec: FeatureSpec,
    outcomes: Iterable[str | None] = (),
) -> WithContext:
    """Context first, then the data; `outcomes`: more columns not compared when matching
    context rows against data rows (e.g. a detector's label)."""
    columns = data.collect_schema().names()
    have = context.collect_schema()
    labels = [f.label for f in spec.features if f.label]
    added = [c for c in dict.fromkeys(labels) if c in have and c not in columns]
    earlier = context.select(
        [pl.col(c) if c in have else pl.lit(None).alias(c) for c in columns]
        + [pl.col(c) for c in added]
    )
    data = data.with_columns(pl.lit(None, dtype=have[c]).alias(c) for c in added)
    before = int(earlier.select(pl.len()).collect().item())
    skip = {*spec.outcome_columns, *(c for c in outcomes if c)}
    compared = [c for c in columns if c not in skip]
    earlier = _without_shared(earlier, data, compared, spec.time)
    n = int(earlier.select(pl.len()).collect().item())
    return WithContext(pl.concat([earlier, data], how="vertical_relaxed"), n, before - n, added)


def _without_shared(
    earlier: pl.LazyFrame, data: pl.LazyFrame, columns: list[str], time: str
) -> pl.LazyFrame:
    """Context rows equal to a data row on every one of `columns` both have with one type
    (a column the data holds no value of, such as a label not known yet, tells nothing and is
    not compared). Only context rows from the data's first time on can be such rows, so only
    those are joined."""
    hs, ds = earlier.collect_schema(), data.collect_schema()
    keys = [c for c in columns if hs[c] == ds[c] and ds[c] != pl.Null]
    if keys:
        known = data.select(pl.col(c).is_not_null().any() for c in keys).collect().row(0)
        keys = [c for c, k in zip(keys, known, strict=True) if k]
    if not keys:
        return earlier
    if time in keys and (ds[time].is_temporal() or ds[time].is_numeric()):
        start = data.select(pl.col(time).min()).collect().item()
        if start is None:
            return earlier
        late = pl.col(time) >= start
        if not earlier.filter(late).select(pl.len()).collect().item():
            return earlier  # context ends before the data: no join (the data may not fit)
        kept = earlier.filter(late).join(data.select(keys), on=keys, how="anti", nulls_equal=True)
        return pl.concat([earlier.filter(~late | pl.col(time).is_null()), kept])
    return earlier.join(data.select(keys), on=keys, how="anti", nulls_equal=True)
