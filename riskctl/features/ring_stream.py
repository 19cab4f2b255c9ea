"""Rings on tables larger than memory: the union-find replay, one time range at a time.

What stays in memory for the whole pass is the ring itself: the union-find over the distinct
account and linked values and the bad-label events (time + maturity, account). Each row
arrives with the node number of each of its values (given by the entity passes, which see
every row of a value in one bucket); the rows are written out by time range and replayed
range by range in time order. A range holds every row of its times, so rows at one time stay
together as the replay needs. Same results as `rings.ring_features` on the whole table.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.dates import DAY_US
from riskctl.features.index import NULL
from riskctl.features.spec import Feature
from riskctl.features.windows import with_nulls

BAD = "__riskctl_bad"


def _split_by_time(
    chunks: Iterator[pl.DataFrame], us: str, span: tuple[int, int], folder: Path, slices: int
) -> list[Path]:
    """Each chunk's rows into time ranges of equal length (a folder per range); the
    ranges' folders in time order."""
    lo, hi = span
    width = float(hi - lo + 1)
    where = ((pl.col(us) - lo).cast(pl.Float64) / width * slices).floor().clip(0, slices - 1)
    for i, chunk in enumerate(chunks):
        keyed = chunk.with_columns(where.cast(pl.Int64).alias("__slice"))
        for (k,), piece in keyed.partition_by("__slice", as_dict=True, include_key=False).items():
            target = folder / f"{int(k):06d}"
            target.mkdir(parents=True, exist_ok=True)
            piece.write_parquet(target / f"{i:06d}.parquet")
    return sorted(folder.iterdir())


def _events(folder: Path, account: str, us: str, maturity_us: int) -> tuple[np.ndarray, ...]:
    """Matured bad-label events: (time + maturity, account node), in time order."""
    ev = (
        pl.scan_parquet(folder / "**" / "*.parquet")
        .filter(pl.col(BAD) & (pl.col(account) >= 0))
        .select((pl.col(us) + maturity_us).alias("t"), pl.col(account).alias("a"))
        .collect()
        .sort("t")
    )
    return ev["t"].to_numpy().astype(np.int64), ev["a"].to_numpy().astype(np.int64)


def ring_slices(
    f: Feature,
    chunks: Iterator[pl.DataFrame],
    counts: list[int],
    columns: tuple[str, str, list[str]],
    span: tuple[int, int],
    folder: Path,
    slices: int,
) -> Iterator[pl.DataFrame]:
    """The ring feature `f` for every row, one time range at a time: frames of (row,
    feature). `chunks` hold the rows (any order) as `columns` = (row number, time in
    microseconds, node numbers of the ring's entities: its nodes first, then its links,
    each numbered 0 .. count - 1 or -1 when missing) and `f`'s label column."""
    from riskctl.features.ring_kernels import new_state, replay  # numba: only for rings

    row, us, nodes = columns
    bad = pl.lit(False)
    if f.label is not None:
        bad = (pl.col(f.label).cast(pl.Float64) == 1.0).fill_null(False)
    flagged = (
        c.select(pl.col(row), pl.col(us), *map(pl.col, nodes), bad.alias(BAD)) for c in chunks
    )
    pieces = _split_by_time(flagged, us, span, folder, slices)
    maturity = int(round((f.label_maturity_days or 0) * DAY_US))
    ev_time, ev_acct = _events(folder, nodes[0], us, maturity)
    base = np.cumsum([0, *counts[:-1]])
    state, e = new_state(int(sum(counts)), counts[0]), 0
    measure = f.ring.measure if f.ring else "size"
    for piece in pieces:
        rows = pl.read_parquet(piece).sort(us)
        coded = rows.select(nodes).to_numpy().astype(np.int64)
        coded = np.where(coded == NULL, NULL, coded + base)
        acct = np.ascontiguousarray(coded[:, 0])
        links = np.ascontiguousarray(coded[:, 1:])
        t = rows[us].to_numpy().astype(np.int64)
        size, n_bad, e = replay(t, acct, links, state, ev_time, ev_acct, e)
        value = size if measure == "size" else n_bad / np.maximum(size, 1)
        yield pl.DataFrame([rows[row], with_nulls(f.name, value, acct == NULL)])
        shutil.rmtree(piece)
