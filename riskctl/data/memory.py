"""How much memory riskctl may use, and the one check made before a table is read whole.

A Parquet file of 200 million repeated values can be a few megabytes on disk and gigabytes
in memory. Every command that needs a table in memory (not streamed) calls `check_fits`
first: the table's size in memory is estimated from the row count (Parquet metadata, or a
streaming count of other formats) times the width of each column it reads (from the type;
text and nested values from a sample), times how many copies the command's work holds at
its peak (measured per kind of work). Over the limit, the command stops before it
allocates, with the estimate and the way forward.

The limit: `RISKCTL_MAX_MEMORY` (or `riskctl --max-memory`), e.g. `8GiB`; by default
`DEFAULT_SHARE` of the machine's physical memory (or of the container's limit, if lower).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import polars as pl

from riskctl.errors import DataError, UsageError

MEMORY_ENV = "RISKCTL_MAX_MEMORY"
DEFAULT_SHARE = 0.7  # of physical memory, when RISKCTL_MAX_MEMORY is not set

# peak memory of a command's work, in copies of the table it reads (measured on 2M-20M
# rows, rounded up): reading and describing a table; training or deciding on one; a
# trade-off curve (sorts, cumulative sums, distinct thresholds)
TABLE_COPIES = 4
MODEL_COPIES = 8
CURVE_COPIES = 24
SAMPLE_ROWS = 1_000  # rows that tell the width of text and nested columns

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
_FIXED = {
    pl.Boolean: 1,
    pl.Int8: 1,
    pl.UInt8: 1,
    pl.Int16: 2,
    pl.UInt16: 2,
    pl.Int32: 4,
    pl.UInt32: 4,
    pl.Float32: 4,
    pl.Date: 4,
    pl.Categorical: 4,
    pl.Enum: 4,
    pl.Int64: 8,
    pl.UInt64: 8,
    pl.Float64: 8,
    pl.Datetime: 8,
    pl.Duration: 8,
    pl.Time: 8,
    pl.Int128: 16,
    pl.Decimal: 16,
    pl.Null: 0,
}


def parse_size(text: str, flag: str = "--memory-limit") -> int:
    """`2GiB`, `500MB`, `1.5g`, `800m` or a number of bytes -> bytes."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise UsageError(
            f"bad memory size '{text}' for {flag}",
            hint="write a number and a unit, e.g. 2GiB or 500MB",
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_LIMIT:
        raise UsageError(
            f"memory limit {text} is too small", hint=f"give at least 1MiB, e.g. {flag} 1GiB"
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
    return physical_memory()


def physical_memory() -> int:
    """The machine's memory, or the container's memory limit (cgroup) when that is lower."""
    try:
        total = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        total = 8 * 1024**3
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def memory_limit() -> int:
    """Bytes a command may hold: RISKCTL_MAX_MEMORY, else DEFAULT_SHARE of physical memory."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        return parse_size(text, MEMORY_ENV)
    return int(physical_memory() * DEFAULT_SHARE)


@dataclass(frozen=True)
class TableSize:
    rows: int
    row_bytes: float

    @property
    def bytes(self) -> float:
        return self.rows * self.row_bytes


def table_size(lf: pl.LazyFrame) -> TableSize:
    """Rows and bytes per row of `lf` once in memory, without reading it whole: the row
    count streams (a Parquet file's comes from its metadata), fixed-width columns are sized
    by type, text and nested ones from their first rows."""
    schema = lf.collect_schema()
    rows = int(lf.select(pl.len()).collect(engine="streaming").item())
    fixed = 0.0
    sampled = []
    for name, dtype in schema.items():
        width = _FIXED.get(dtype.base_type())
        if width is None:
            sampled.append(name)
        else:
            fixed += width + 0.125  # and a validity bit
    if sampled and rows:
        sample = lf.select(sampled).head(SAMPLE_ROWS).collect(engine="streaming")
        fixed += sample.estimated_size() / max(sample.height, 1)
    return TableSize(rows, max(fixed, 1.0))


def check_fits(
    lf: pl.LazyFrame, source: str, copies: int = TABLE_COPIES, held: float = 0.0
) -> None:
    """Stop, before `lf` is read whole, when `copies` of it (beside `held` bytes the
    command's work already needs for other tables) would pass the memory limit. The message
    gives the estimate and the ways forward. A table polars cannot even count is let
    through: reading it gives the exact error."""
    limit = memory_limit()
    try:
        size = table_size(lf)
    except pl.exceptions.PolarsError:
        return
    need = size.bytes * copies + held
    if need <= limit:
        return
    raise DataError(
        f"{source}: about {human_bytes(size.bytes)} in memory ({size.rows:,} rows x "
        f"{size.row_bytes:,.0f} bytes), and this command needs about {human_bytes(need)}, "
        f"over the memory limit of {human_bytes(limit)}",
        hint="run it on a Dask cluster (--scheduler ADDR, where the command has it), use "
        f"fewer rows, or raise the limit with riskctl --max-memory SIZE or {MEMORY_ENV}=SIZE "
        "if the machine has the memory",
    )


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"  # pragma: no cover
