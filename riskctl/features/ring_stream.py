"""Rings on tables larger than memory: the union-find replay, one time range at a time.

What stays in memory for the whole pass is the ring itself: the union-find over the distinct
account and linked values, a dictionary from each value to its node, and the bad-label
events (time + maturity, account). The rows are split by time range into temporary Parquet
(a streaming partitioned write, each value already replaced by its node) and replayed range
by range in time order; a range holds every row of its times, so rows at one time stay
together as the replay needs. Same results as `rings.ring_features` on the whole table.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.features.compute import DAY_US, Context
from riskctl.features.index import NULL
from riskctl.features.spec import Feature
from riskctl.features.windows import with_nulls

SLICE = "__riskctl_slice"
BAD = "__riskctl_bad"


def _normal(column: str, schema: pl.Schema) -> pl.Expr:
    """The value as the rings compare values: NaN is missing, -0.0 is 0.0."""
    col = pl.col(column)
    return (col.fill_nan(None) + 0.0).alias(column) if schema[column].is_float() else col


def _nodes(lf: pl.LazyFrame, columns: list[str], offset: int, name: str) -> pl.DataFrame:
    """Each distinct value of an entity (all its columns present) and its node number."""
    schema = lf.collect_schema()
    values = (
        lf.select([_normal(c, schema) for c in columns])
        .drop_nulls()
        .unique()
        .collect(engine="streaming")
    )
    return values.with_columns(pl.int_range(offset, offset + values.height).alias(name))


def _entity_columns(ctx: Context, entity: str) -> list[str]:
    cols = ctx.spec.entities[entity]
    return [cols] if isinstance(cols, str) else list(cols)


def _coded(
    ctx: Context, lf: pl.LazyFrame, f: Feature, row: str, us: str
) -> tuple[pl.LazyFrame, list[str], int, int]:
    """The rows as (row, time, account node, link nodes..., bad flag), lazily; the node
    count and the account count."""
    assert f.ring is not None
    schema = lf.collect_schema()
    entities = [f.ring.nodes, *f.ring.links]
    wanted = {c for e in entities for c in _entity_columns(ctx, e)}
    frame = lf.with_columns([_normal(c, schema) for c in wanted])
    offset, names, n_acct = 0, [], 0
    for j, entity in enumerate(entities):
        cols, name = _entity_columns(ctx, entity), f"__riskctl_node{j}"
        table = _nodes(lf, cols, offset, name)
        frame = frame.join(table.lazy(), on=cols, how="left", build_side="force_right")
        n_acct = table.height if j == 0 else n_acct
        offset += table.height
        names.append(name)
    bad = pl.lit(False)
    if f.label is not None:
        bad = (pl.col(f.label).cast(pl.Float64) == 1.0).fill_null(False)
    nodes = [pl.col(n).fill_null(NULL) for n in names]
    frame = frame.select(pl.col(row), pl.col(us), *nodes, bad.alias(BAD))
    return frame, names, offset, n_acct


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
    ctx: Context, lf: pl.LazyFrame, f: Feature, row: str, us: str, folder: Path, slices: int
) -> Iterator[pl.DataFrame]:
    """The ring feature `f` for every row of `lf` (which has `row` numbers and `us` times),
    one time range at a time: frames of (row, feature)."""
    from riskctl.features._ring_kernels import new_state, replay  # numba: only for rings

    coded, names, n_nodes, n_acct = _coded(ctx, lf, f, row, us)
    span = lf.select(pl.col(us).min().alias("lo"), pl.col(us).max().alias("hi")).collect()
    lo, hi = span["lo"][0], span["hi"][0]
    if lo is None:
        return
    width = float(hi - lo + 1)
    part = ((pl.col(us) - lo).cast(pl.Float64) / width * slices).floor().clip(0, slices - 1)
    coded.with_columns(part.cast(pl.Int64).alias(SLICE)).sink_parquet(
        pl.PartitionBy(folder, key=SLICE, include_key=False)
    )
    maturity = int(round((f.label_maturity_days or 0) * DAY_US))
    ev_time, ev_acct = _events(folder, names[0], us, maturity)
    state, e = new_state(n_nodes, n_acct), 0
    measure = f.ring.measure if f.ring else "size"
    for piece in sorted(folder.iterdir(), key=lambda p: int(p.name.split("=")[-1])):
        rows = pl.read_parquet(piece).sort(us)
        links = np.ascontiguousarray(rows.select(names[1:]).to_numpy().astype(np.int64))
        acct = rows[names[0]].to_numpy().astype(np.int64)
        t = rows[us].to_numpy().astype(np.int64)
        size, bad, e = replay(t, acct, links, state, ev_time, ev_acct, e)
        value = size if measure == "size" else bad / np.maximum(size, 1)
        yield pl.DataFrame([rows[row], with_nulls(f.name, value, acct == NULL)])
        shutil.rmtree(piece)
