"""Per-entity window aggregates, point-in-time and exact.

A row's window over its entity value is `(t - w, t]`: the row itself and the rows of the same
entity value with a strictly earlier time inside the window. Rows at the same time as the row
(other than itself) are left out, so file order never matters. A missing entity gives null.
Every function answers all rows at once from one sorted index per entity (positions and
binary searches, O(n log n)), never a scan per row.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from riskctl.features.index import NULL, KeyTimeIndex, RowIndex, segmented_cumsum


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


class Occurrences:
    """Each distinct (key, value, time) of an entity and a value column, in (pair, time)
    order: what distinct counts over any window are computed from (built once per pair of
    columns, shared by all windows)."""

    def __init__(self, index: RowIndex, value: np.ndarray) -> None:
        key, t = index.key, index.timeline.t
        self.index = index
        if len(t) == 0:  # nothing to count; count_distinct answers an empty column
            return
        self.valid = (key != NULL) & (value != NULL)
        pair = np.where(self.valid, key * (np.int64(value.max(initial=0)) + 1) + value, NULL)
        order = np.lexsort((t, pair))
        p, s = pair[order], t[order]
        new = np.r_[True, (p[1:] != p[:-1]) | (s[1:] != s[:-1])]
        occ = np.cumsum(new) - 1  # occurrence id of each sorted row
        occ_pair = p[new]
        self.time = s[new]
        self.key = np.where(self.valid[order][new], key[order][new], NULL)
        self.same_next = np.r_[occ_pair[1:] == occ_pair[:-1], False]
        self.has_prev, self.row_prev = np.empty(len(t), dtype=bool), np.empty(len(t), np.int64)
        self.has_prev[order] = np.r_[False, self.same_next[:-1]][occ]
        self.row_prev[order] = np.r_[0, self.time[:-1]][occ]
        self.keep = self.key != NULL
        starts = KeyTimeIndex(self.key[self.keep], self.time[self.keep] + 1)
        self.started = starts.count_before(index, inclusive=True)


def count_distinct(name: str, occ: Occurrences, window_us: int | None) -> pl.Series:
    """Distinct non-null values in each row's window.

    Each time a (key, value) pair occurs at time s, and next occurs at s' > s, it is the
    pair's latest strictly earlier occurrence for queries at times in (s, s'], and inside
    the window for those before s + w. Those intervals never overlap for one pair, so the
    distinct values a query sees are the intervals of its key covering its time: a count of
    interval starts at or before t minus ends before t. The row's own value is added when
    its pair's latest earlier occurrence is outside the window.
    """
    index, t = occ.index, occ.index.timeline.t
    if len(t) == 0:
        return pl.Series(name, [], dtype=pl.Int64)
    big = np.iinfo(np.int64).max // 4
    nxt = np.where(occ.same_next, np.r_[occ.time[1:], 0], big)
    end = nxt if window_us is None else np.minimum(nxt, occ.time + window_us - 1)
    ends = KeyTimeIndex(occ.key[occ.keep], end[occ.keep])
    covering = occ.started - ends.count_before(index, inclusive=False)
    recent = occ.has_prev if window_us is None else occ.has_prev & (occ.row_prev > t - window_us)
    result = covering + (occ.valid & ~recent)
    return with_nulls(name, result.astype(np.int64), index.key == NULL)


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
