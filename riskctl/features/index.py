"""Sorted (key, time) indexes: how many rows of a key fall before a time, for many queries at
once. Keys are dense integer codes (-1 for a missing value); times are int64 microseconds,
replaced by their rank among the distinct times so that key * m + rank fits an int64."""

from __future__ import annotations

import numpy as np
import polars as pl

NULL = -1


def codes(values: pl.Series) -> np.ndarray:
    """Integer codes of a column's values (equal values, equal codes); null and NaN -> -1."""
    values = values.fill_nan(None) if values.dtype.is_float() else values
    if values.dtype == pl.String:
        coded = values.cast(pl.Categorical).to_physical().cast(pl.Int64)
    else:
        coded = values.rank("dense").cast(pl.Int64) - 1
    return coded.fill_null(NULL).to_numpy()


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """np.unique by sorting: faster than its hashing on millions of distinct values."""
    s = np.sort(x)
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    return s[keep]


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """For each sorted position, the first position holding the same value."""
    n = len(sorted_values)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_values[1:] != sorted_values[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0)) if n else new.astype(np.int64)


class Timeline:
    """The rows' event times, their distinct values and each row's rank among them."""

    def __init__(self, t: np.ndarray) -> None:
        self.t = t
        self.order = np.argsort(t, kind="stable")
        self.times = sorted_unique(t)
        self.m = np.int64(len(self.times) + 1)
        self.rank = self.search(self.times, 0, inclusive=False)

    def search(self, haystack: np.ndarray, shift: int, inclusive: bool) -> np.ndarray:
        """Per row, how many of the sorted `haystack` values are before t + shift (at or
        before, if inclusive). The rows' times are searched in sorted order: the binary
        searches then walk memory in order, several times faster on millions of rows."""
        out = np.empty(len(self.t), dtype=np.int64)
        needles = self.t[self.order] + shift
        out[self.order] = np.searchsorted(haystack, needles, side="right" if inclusive else "left")
        return out


class RowIndex:
    """The rows sorted by (entity key, time); ties keep input order. For each row: the sorted
    position where its key starts and where its own time starts (so the rows in between are
    exactly its key's strictly earlier rows)."""

    def __init__(self, key: np.ndarray, timeline: Timeline) -> None:
        self.key, self.timeline = key, timeline
        compound = key.astype(np.int64) * timeline.m + timeline.rank
        self.order = np.argsort(compound, kind="stable")
        self.sorted = compound[self.order]
        self.sorted_key = key[self.order]
        self.sorted_time = timeline.t[self.order]
        n = len(key)
        self.start, self.hi = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        self.start[self.order] = _run_starts(self.sorted_key)
        self.hi[self.order] = _run_starts(self.sorted)

    def lo(self, window_us: int | None) -> np.ndarray:
        """Per row, the first sorted position of its key's rows inside (t - w, t]."""
        if window_us is None:
            return self.start
        tl = self.timeline
        bound = self.key.astype(np.int64) * tl.m + tl.search(tl.times, -window_us, inclusive=True)
        out = np.empty(len(bound), dtype=np.int64)
        # queries in the index's own order are sorted: the searches walk memory in order
        out[self.order] = np.searchsorted(self.sorted, bound[self.order], side="left")
        return out


class KeyTimeIndex:
    """Arbitrary (key, time) entries (not the rows): counts of a key's entries before a time."""

    def __init__(self, key: np.ndarray, time: np.ndarray) -> None:
        self.times = sorted_unique(time)
        self.m = np.int64(len(self.times) + 1)
        rank = np.searchsorted(self.times, time).astype(np.int64)
        self.sorted = np.sort(key.astype(np.int64) * self.m + rank)

    def count_before(self, rows: RowIndex, inclusive: bool) -> np.ndarray:
        """Per row, the entries with the row's key and a time before the row's time (at or
        before it if `inclusive`), searched in the rows' (key, time) order to be fast."""
        order = rows.order
        base = rows.key.astype(np.int64)[order] * self.m
        rank = rows.timeline.search(self.times, 0, inclusive)[order]
        out = np.empty(len(order), dtype=np.int64)
        out[order] = np.searchsorted(self.sorted, base + rank) - np.searchsorted(self.sorted, base)
        return out


def segmented_cumsum(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Cumulative sums that restart at every key, with a leading zero: entry i + 1 holds the
    sum of the key's values up to sorted position i. Restarting keeps each key's sums
    independent of other keys' rows, so adding rows elsewhere changes no bits."""
    frame = pl.DataFrame({"k": sorted_keys, "v": values})
    sums = frame.select(pl.col("v").cum_sum().over("k"))["v"].to_numpy()
    out = np.zeros(len(values) + 1, dtype=sums.dtype)
    out[1:] = sums
    return out
