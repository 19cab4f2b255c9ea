"""How much memory deriving features takes, and how to split the work to fit a limit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from riskctl.features.spec import FeatureSpec

BASE = 224 * 1024**2  # the process before any data: Python, polars, numba and its kernels
# bytes per row beyond the table itself: the sorted index of an entity (order, keys, times,
# starts; one entity's at a time) with the kernels' scratch, each derived column with its
# null mask, a ring's replay. Measured: about 310 bytes a row on the benchmark's events (5
# columns, 18 windows, a ring); these err on the high side
PER_ENTITY = 112
PER_FEATURE = 12
PER_RING = 120


@dataclass(frozen=True)
class ChunkPlan:
    """How a bounded run divides the rows: chunks of `chunk_rows` in file order for the
    row-level work, `buckets` hash buckets of each entity's values for the windows."""

    chunk_rows: int
    buckets: int


def row_bytes(lf: pl.LazyFrame) -> float:
    """The table's bytes per row in memory, from its first rows."""
    sample = lf.head(10_000).collect()
    return max(sample.estimated_size() / max(sample.height, 1), 8.0)


def in_memory_bytes(rows: int, table_row: float, spec: FeatureSpec) -> float:
    """What computing the whole table at once holds at its peak, roughly."""
    windows = any(f.per is not None for f in spec.features)
    rings = sum(f.kind == "ring" for f in spec.features)
    extra = PER_ENTITY * windows + PER_FEATURE * len(spec.names) + PER_RING * rings
    return rows * (2 * table_row + extra)


def split(rows: int, table_row: float, spec: FeatureSpec, limit: int) -> ChunkPlan:
    """Chunks and buckets small enough that one of them, with its scratch, fits in half of
    what the limit leaves beside the process itself (Python, polars and the compiled
    kernels: about `BASE`); the other half is for the query engine's buffers."""
    share = max(limit - BASE, limit / 4) / 2
    wide = 4 * table_row + 2 * PER_FEATURE * len(spec.names) + 32
    chunk_rows = int(min(max(share / wide, 10_000), 4_000_000))
    per_bucket_row = 2 * 48 + PER_ENTITY + 2 * PER_FEATURE * 9
    buckets = max(1, math.ceil(rows * per_bucket_row / share))
    return ChunkPlan(chunk_rows, min(buckets, 1000))  # one open file per bucket while splitting
