"""Per-entity window aggregates, point-in-time and exact.

A row's window over its entity value is `(t - w, t]`: the row itself and the rows of the same
entity value with a strictly earlier time inside the window. Rows at the same time as the row
(other than itself) are left out, so file order never matters. A missing entity gives null.
Times are int64 microseconds; every function answers all rows at once with binary searches on
one sorted index: O(n log n), never a scan per row.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from riskctl.features.index import NULL, KeyTimeIndex, segmented_cumsum


def with_nulls(name: str, values: np.ndarray, missing: np.ndarray) -> pl.Series:
    series = pl.Series(name, values)
    idx = np.flatnonzero(missing)
    return series.scatter(idx, None) if len(idx) else series


def _bounds(
    index: KeyTimeIndex, key: np.ndarray, t: np.ndarray, window_us: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key start, first and one-past-last sorted positions of each row's earlier rows."""
    start = index.position(key, None, inclusive=False)
    hi = index.position(key, t, inclusive=False)
    lo = start if window_us is None else index.position(key, t - window_us, inclusive=True)
    return start, lo, hi


def count_rows(name: str, key: np.ndarray, t: np.ndarray, window_us: int | None) -> pl.Series:
    index = KeyTimeIndex(key, t)
    _, lo, hi = _bounds(index, key, t, window_us)
    return with_nulls(name, (hi - lo + 1).astype(np.int64), key == NULL)


def sum_values(
    name: str,
    key: np.ndarray,
    t: np.ndarray,
    values: pl.Series,
    window_us: int | None,
    how: str,
) -> pl.Series:
    """`sum`, `mean` or `count` (non-null values) of `values` over each row's window; sums
    and means of no values are null, as in SQL."""
    index = KeyTimeIndex(key, t)
    start, lo, hi = _bounds(index, key, t, window_us)
    present = values.is_not_null().to_numpy()
    if values.dtype.is_float():
        present &= ~np.isnan(values.fill_null(0).to_numpy())
    raw = values.fill_null(0).to_numpy()
    raw = np.where(present, raw, 0)
    if raw.dtype.kind in "iub":
        raw = raw.astype(np.int64)
    sorted_keys = key[index.order]

    def window_total(x: np.ndarray) -> np.ndarray:
        c = segmented_cumsum(x[index.order], sorted_keys)
        return np.where(hi > start, c[hi], 0) - np.where(lo > start, c[lo], 0) + x

    n = window_total(present.astype(np.int64))
    if how == "count":
        return with_nulls(name, n, key == NULL)
    total = window_total(raw)
    if how == "sum":
        return with_nulls(name, total, (key == NULL) | (n == 0))
    mean = total / np.maximum(n, 1)
    return with_nulls(name, mean.astype(np.float64), (key == NULL) | (n == 0))


def count_distinct(
    name: str, key: np.ndarray, value: np.ndarray, t: np.ndarray, window_us: int | None
) -> pl.Series:
    """Distinct non-null values of `value` in each row's window.

    Each time a (key, value) pair occurs at time s, and next occurs at s' > s, it is the
    pair's latest strictly earlier occurrence for queries at times in (s, s'], and inside
    the window for those before s + w. Those intervals never overlap for one pair, so the
    distinct values a query sees are the intervals of its key covering its time: a count of
    interval starts at or before t minus ends before t. The row's own value is added when
    its pair's latest earlier occurrence is outside the window.
    """
    if len(t) == 0:
        return pl.Series(name, [], dtype=pl.Int64)
    valid = (key != NULL) & (value != NULL)
    pair = np.where(valid, key * (np.int64(value.max(initial=0)) + 1) + value, NULL)
    order = np.lexsort((t, pair))
    p, s = pair[order], t[order]
    new = np.r_[True, (p[1:] != p[:-1]) | (s[1:] != s[:-1])]
    occ = np.cumsum(new) - 1  # occurrence id of each sorted row
    occ_pair, occ_time = p[new], s[new]
    occ_key = np.where(valid[order][new], key[order][new], NULL)
    same_next = np.r_[occ_pair[1:] == occ_pair[:-1], False]
    big = np.iinfo(np.int64).max // 4
    nxt = np.where(same_next, np.r_[occ_time[1:], 0], big)
    end = nxt if window_us is None else np.minimum(nxt, occ_time + window_us - 1)
    keep = occ_key != NULL
    starts = KeyTimeIndex(occ_key[keep], occ_time[keep] + 1)
    ends = KeyTimeIndex(occ_key[keep], end[keep])
    covering = starts.position(key, t, inclusive=True) - ends.position(key, t, inclusive=False)
    has_prev, row_prev = np.empty(len(t), dtype=bool), np.empty(len(t), dtype=np.int64)
    has_prev[order] = np.r_[False, same_next[:-1]][occ]
    row_prev[order] = np.r_[0, occ_time[:-1]][occ]
    covered = has_prev if window_us is None else has_prev & (row_prev > t - window_us)
    result = covering + (valid & ~covered)
    return with_nulls(name, result.astype(np.int64), key == NULL)


def since(name: str, key: np.ndarray, t: np.ndarray, which: str, unit_seconds: int) -> pl.Series:
    """Time since the entity was first seen (0 on its first row) or last seen before this
    row's time (null on its first), in the unit."""
    index = KeyTimeIndex(key, t)
    if which == "first":
        first = index.sorted_time[index.position(key, None, inclusive=False)]
        delta, missing = t - first, key == NULL
    else:
        start = index.position(key, None, inclusive=False)
        hi = index.position(key, t, inclusive=False)
        earlier = hi > start
        delta = t - index.sorted_time[np.maximum(hi - 1, 0)]
        missing = (key == NULL) | ~earlier
    return with_nulls(name, delta / (unit_seconds * 1e6), missing)
