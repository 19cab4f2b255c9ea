"""How much memory deriving features takes, and how to split the work to fit a limit."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import polars as pl

from riskctl.errors import UsageError
from riskctl.features.spec import FeatureSpec

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1_000,
    "kb": 1_000,
    "kib": 1024,
    "m": 1_000_000,
    "mb": 1_000_000,
    "mib": 1024**2,
    "g": 1_000_000_000,
    "gb": 1_000_000_000,
    "gib": 1024**3,
    "t": 10**12,
    "tb": 10**12,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
MIN_LIMIT = 1024**2
BASE = 224 * 1024**2  # the process before any data: Python, polars, numba and its kernels
# bytes per row beyond the table itself: the sorted index of an entity (order, keys, times,
# starts; one entity's at a time) with the kernels' scratch, each derived column with its
# null mask, a ring's replay. Measured: about 310 bytes a row on the benchmark's events (5
# columns, 18 windows, a ring); these err on the high side
PER_ENTITY = 112
PER_FEATURE = 12
PER_RING = 120


def parse_size(text: str) -> int:
    """`2GiB`, `500MB`, `1.5g`, `800m` or a number of bytes -> bytes."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise UsageError(
            f"bad memory size '{text}'", hint="write a number and a unit, e.g. 2GiB or 500MB"
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_LIMIT:
        raise UsageError(
            f"memory limit {text} is too small",
            hint="give at least 1MiB, e.g. --memory-limit 1GiB",
        )
    return size


def available_memory() -> int:
    """Memory the system can give without swapping (MemAvailable), or all physical memory
    where that is not known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


@dataclass(frozen=True)
class Split:
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


def split(rows: int, table_row: float, spec: FeatureSpec, limit: int) -> Split:
    """Chunks and buckets small enough that one of them, with its scratch, fits in half of
    what the limit leaves beside the process itself (Python, polars and the compiled
    kernels: about `BASE`); the other half is for the query engine's buffers."""
    share = max(limit - BASE, limit / 4) / 2
    wide = 4 * table_row + 2 * PER_FEATURE * len(spec.names) + 32
    chunk_rows = int(min(max(share / wide, 10_000), 4_000_000))
    per_bucket_row = 2 * 48 + PER_ENTITY + 2 * PER_FEATURE * 9
    buckets = max(1, math.ceil(rows * per_bucket_row / share))
    return Split(chunk_rows, min(buckets, 1000))  # one open file per bucket while splitting
