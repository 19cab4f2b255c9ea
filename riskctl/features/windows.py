"""Per-entity window aggregates, point-in-time and exact.

A row's window over its entity value is `(t - w, t]`: the row itself and the rows of the same
entity value with a strictly earlier time inside the window. Rows at the same time as the row
(other than itself) are left out, so file order never matters. A missing entity gives null.
Every function answers all rows at once from one sort per entity (O(n log n)) and linear
passes over it (cumulative sums, two-pointer windows), never a scan per row.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from riskctl.features.index import NULL, RowIndex, segmented_cumsum


def with_nulls(name: str, values: np.ndarray, missing: np.ndarray) -> pl.Series:
    series = pl.Series(name, values)
    idx = np.flatnonzero(missing)
    return series.scatter(idx, None) if len(idx) else series


def count_rows(name: str, index: RowIndex, window_us: int | None) -> pl.Series:
    counts = index.hi - index.lo(window_us) + 1
    return with_nulls(name, counts.astype(np.int64), index.key == NULL)


def sum_values(
    name: str, index: RowIndex, values: pl.Series, window_us: int | None, how: str
) -> pl.Series:
    """`sum`, `mean` or `count` (non-null values) of `values` over each row's window; sums
    and means of no values are null, as in SQL."""
    start, lo, hi = index.start, index.lo(window_us), index.hi
    present = values.is_not_null().to_numpy()
    raw = values.fill_null(0).to_numpy()
    if values.dtype.is_float():
        present &= ~np.isnan(raw)
    raw = np.where(present, raw, 0)
    if raw.dtype.kind in "iub":
        raw = raw.astype(np.int64)

    def window_total(x: np.ndarray) -> np.ndarray:
        c = segmented_cumsum(x[index.order], index.sorted_key)
        return np.where(hi > start, c[hi], 0) - np.where(lo > start, c[lo], 0) + x

    n = window_total(present.astype(np.int64))
    missing = index.key == NULL
    if how == "count":
        return with_nulls(name, n, missing)
    total = window_total(raw)
    if how == "sum":
        return with_nulls(name, total, missing | (n == 0))
    mean = total / np.maximum(n, 1)
    return with_nulls(name, mean.astype(np.float64), missing | (n == 0))


def count_distinct(
    name: str, index: RowIndex, values: np.ndarray, window_us: int | None
) -> pl.Series:
    """Distinct non-null values (integer codes, -1 for null) in each row's window: one
    two-pointer pass over the rows in (key, time) order, a counter per value in the window."""
    from riskctl.features._window_kernels import distinct_window

    out = np.empty(len(values), dtype=np.int64)
    n_values = int(values.max(initial=-1)) + 1
    out[index.order] = distinct_window(
        index.sorted_key,
        index.sorted_time,
        index.sorted(values),
        n_values,
        np.int64(window_us or 0),
        window_us is None,
    )
    return with_nulls(name, out, index.key == NULL)


def since(name: str, index: RowIndex, which: str, unit_seconds: int) -> pl.Series:
    """Time since the entity was first seen (0 on its first row) or last seen before this
    row's time (null on its first), in the unit."""
    t = index.timeline.t
    if which == "first":
        delta, missing = t - index.sorted_time[index.start], index.key == NULL
    else:
        delta = t - index.sorted_time[np.maximum(index.hi - 1, 0)]
        missing = (index.key == NULL) | (index.hi == index.start)
    return with_nulls(name, delta / (unit_seconds * 1e6), missing)
