"""Sorted (key, time) indexes: how many rows of a key fall before a time, for many queries at
once, with two binary searches each. Keys are dense integer codes (-1 for a missing value)."""

from __future__ import annotations

import numpy as np
import polars as pl

NULL = -1


def codes(values: pl.Series) -> np.ndarray:
    """Dense int64 codes of a column's values; nulls (and NaN) become -1."""
    values = values.fill_nan(None) if values.dtype.is_float() else values
    ranked = values.rank("dense").cast(pl.Int64) - 1
    return ranked.fill_null(NULL).to_numpy()


class KeyTimeIndex:
    """Rows as (key, time) pairs, sorted by key then time (ties keep their order)."""

    def __init__(self, key: np.ndarray, time: np.ndarray) -> None:
        self.times = np.unique(time)
        self.m = np.int64(len(self.times) + 1)
        rank = np.searchsorted(self.times, time).astype(np.int64)
        compound = key.astype(np.int64) * self.m + rank
        self.order = np.argsort(compound, kind="stable")
        self.sorted = compound[self.order]
        self.sorted_time = time[self.order]

    def position(self, key: np.ndarray, time: np.ndarray | None, inclusive: bool) -> np.ndarray:
        """Per query, the sorted position just past the rows with `key` and a time before
        `time` (at or before it if `inclusive`); `time=None` gives the key's first position."""
        base = key.astype(np.int64) * self.m
        if time is None:
            return np.searchsorted(self.sorted, base, side="left")
        rank = np.searchsorted(self.times, time, side="right" if inclusive else "left")
        return np.searchsorted(self.sorted, base + rank, side="left")


def segmented_cumsum(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Cumulative sums that restart at every key, with a leading zero per position: entry
    i + 1 holds the sum of the key's values up to sorted position i. Restarting keeps each
    key's sums independent of other keys' rows, so adding rows elsewhere changes no bits."""
    frame = pl.DataFrame({"k": sorted_keys, "v": values})
    sums = frame.select(pl.col("v").cum_sum().over("k"))["v"].to_numpy()
    out = np.zeros(len(values) + 1, dtype=sums.dtype)
    out[1:] = sums
    return out
