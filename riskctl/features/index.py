"""Rows sorted by (entity key, time): where each row's key starts, where its own time starts
and where any window before it starts. Keys are dense integer codes (-1 for a missing value);
times are int64 microseconds."""

from __future__ import annotations

import numpy as np
import polars as pl

NULL = -1
KEY_SEED = 0x5EED  # every path hashes entity values with the same seed


def key_value(column: str, dtype: pl.DataType) -> pl.Expr:
    """A column's value as entities compare it: for floats NaN is missing and -0.0 is 0.0.
    Every path (one machine, bounded passes, cluster) reads entity values through this."""
    col = pl.col(column)
    if not dtype.is_float():
        return col
    return pl.when(col == 0).then(pl.lit(0.0, dtype)).otherwise(col.fill_nan(None)).alias(column)


def entity_key(columns: list[str], schema: pl.Schema) -> pl.Expr:
    """A 64-bit key per row for an entity's value (its columns' values as `key_value` reads
    them, as text, so every partition hashes a value alike): equal values, equal keys; null
    when any of its columns is missing."""
    values = [key_value(c, schema[c]).cast(pl.String) for c in columns]
    missing = pl.any_horizontal(v.is_null() for v in values)
    return pl.when(missing).then(None).otherwise(pl.struct(values).hash(KEY_SEED))


def entity_columns(entities: dict[str, str | list[str]], entity: str | None) -> list[str]:
    """The columns an entity's value is made of (none for no entity)."""
    cols = entities.get(entity, []) if entity is not None else []
    return [cols] if isinstance(cols, str) else list(cols)


def codes(values: pl.Series) -> np.ndarray:
    """Integer codes of a column's values (equal values, equal codes); missing -> -1."""
    values = pl.DataFrame({"v": values}).select(key_value("v", values.dtype)).to_series()
    if values.dtype == pl.String:
        coded = values.cast(pl.Categorical).to_physical().cast(pl.Int64)
    else:
        coded = values.rank("dense").cast(pl.Int64) - 1
    return coded.fill_null(NULL).to_numpy()


def _run_starts(new: np.ndarray) -> np.ndarray:
    """For each position, the last position at or before it where `new` is set."""
    n = len(new)
    return np.maximum.accumulate(np.where(new, np.arange(n), 0)) if n else np.zeros(0, np.int64)


class Timeline:
    """The rows' event times and the order that sorts them (ties keep input order)."""

    def __init__(self, t: np.ndarray) -> None:
        self.t = t
        self.order = np.argsort(t, kind="stable")


class RowIndex:
    """The rows sorted by (entity key, time); ties keep input order. For each row: the sorted
    position where its key starts and where its own time starts (so the rows in between are
    exactly its key's strictly earlier rows)."""

    def __init__(self, key: np.ndarray, timeline: Timeline) -> None:
        self.key, self.timeline = key, timeline
        by_time = timeline.order
        # a stable sort by key of the rows in time order: (key, time, input order)
        self.order = by_time[np.argsort(key[by_time], kind="stable")]
        self.sorted_key = key[self.order]
        self.sorted_time = timeline.t[self.order]
        n = len(key)
        new_key = np.ones(n, dtype=bool)
        new_key[1:] = self.sorted_key[1:] != self.sorted_key[:-1]
        new_time = new_key.copy()
        new_time[1:] |= self.sorted_time[1:] != self.sorted_time[:-1]
        self.start, self.hi = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        self.start[self.order] = _run_starts(new_key)
        self.hi[self.order] = _run_starts(new_time)

    def sorted(self, values: np.ndarray) -> np.ndarray:
        """`values` (one per row) in the index's order."""
        return values[self.order]

    def lo(self, window_us: int | None) -> np.ndarray:
        """Per row, the first sorted position of its key's rows inside (t - w, t]."""
        if window_us is None:
            return self.start
        from riskctl.features._window_kernels import window_starts

        out = np.empty(len(self.key), dtype=np.int64)
        out[self.order] = window_starts(self.sorted_key, self.sorted_time, np.int64(window_us))
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
