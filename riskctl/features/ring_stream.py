"""Rings on tables larger than memory: only the columns a ring reads, never the rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from riskctl.features.compute import Context, compute


def rings_bounded(ctx: Context, parts: list[Path], names: list[str], row: str) -> pl.DataFrame:
    """The ring columns for every row, with its row number."""
    spec = ctx.spec
    wanted = [row, spec.time]
    for f in spec.features:
        if f.name in names and f.ring is not None:
            for entity in (f.ring.nodes, *f.ring.links):
                cols = spec.entities.get(entity, [])
                wanted += [cols] if isinstance(cols, str) else cols
            wanted += [f.label] if f.label else []
    lf = pl.scan_parquet(parts)
    schema = lf.collect_schema()
    frame = lf.select([c for c in dict.fromkeys(wanted) if c in schema]).collect()
    return compute(frame, ctx, only=set(names)).select([row, *names])
