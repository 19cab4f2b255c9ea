"""Lookups: exact-key and range joins from a side table (e.g. IP number -> country).

Range tables must be sorted by their lower bound, with lower <= upper and no two ranges
overlapping: a malformed table is refused with the rows named, never silently half-joined.
Keys and bounds may be numbers or dotted IPv4 strings (`10.0.0.1` -> 167772161).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import read_table
from riskctl.errors import ConfigError, DataError, Location
from riskctl.features.spec import Lookup, lookup_path

_IPV4 = r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$"


def as_number(values: pl.Series) -> pl.Series:
    """Numbers as Float64 (exact below 2**53); dotted IPv4 strings as their 32-bit number,
    other strings as the number they spell (a column with a few junk cells is read as text);
    anything else null."""
    if values.dtype.is_numeric() or values.dtype == pl.Boolean:
        return values.cast(pl.Float64)
    text = values.cast(pl.String)
    parts = text.str.extract_groups(_IPV4)
    octets = [parts.struct.field(str(i)).cast(pl.Float64) for i in range(1, 5)]
    frame = pl.DataFrame({f"o{i}": o for i, o in enumerate(octets)})
    ok = frame.select(pl.all_horizontal(pl.all() <= 255)).to_series()
    number = frame.select(
        pl.col("o0") * 16777216 + pl.col("o1") * 65536 + pl.col("o2") * 256 + pl.col("o3")
    ).to_series()
    plain = text.str.strip_chars().cast(pl.Float64, strict=False)
    ip = pl.select(pl.when(ok).then(number)).to_series()
    return pl.select(pl.coalesce(ip, plain)).to_series().alias(values.name)


def read_side_table(
    lookup: Lookup, base: Path, where: Location | None = None
) -> tuple[Path, pl.DataFrame]:
    path = lookup_path(lookup, base, where)
    if not path.exists():  # a directory, a pipe or a device: refused by read_table
        raise ConfigError(
            f"no table file {path}",
            where,
            hint="`table:` is read relative to the spec's folder",
        )
    table = read_table(path)
    if table.height == 0:
        raise DataError(
            f"{path}: lookup '{lookup.name}': the table has no rows",
            hint="a lookup table needs at least one row",
        )
    wanted = [lookup.value, *(lookup.range or [lookup.match or ""])]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise DataError(
            f"{path}: lookup '{lookup.name}': no column '{missing[0]}'",
            hint=f"the table has {', '.join(table.columns)}",
        )
    return path, table


def _row(path: Path, i: int) -> str:
    line = f" (line {i + 2})" if path.suffix.lower() in (".csv", ".tsv", ".tab") else ""
    return f"row {i + 1}{line}"


SHOWN_ROWS = 20  # bad rows of a lookup table named in one message


def _rows(path: Path, rows: np.ndarray, pairs: bool = False) -> str:
    """The bad rows, all in one line: `row 3 (line 4)`, or the first SHOWN_ROWS of many
    and their count; with `pairs`, each row with the row before it."""
    named = [
        f"{_row(path, i - 1)} and {_row(path, i)}" if pairs else _row(path, i)
        for i in (int(r) for r in rows[:SHOWN_ROWS])
    ]
    if len(rows) == 1:
        return named[0]
    more = f" (the first {SHOWN_ROWS} shown)" if len(rows) > SHOWN_ROWS else ""
    return f"{len(rows)} places{more}: " + "; ".join(named)


def check_ranges(path: Path, lower: np.ndarray, upper: np.ndarray) -> None:
    """Refuse missing, reversed, unsorted or overlapping ranges, naming every bad row (up to
    SHOWN_ROWS) at once, so a spreadsheet-mangled table is fixed in one pass."""
    bad = np.flatnonzero(np.isnan(lower) | np.isnan(upper))
    if len(bad):
        raise DataError(
            f"{path}: {_rows(path, bad)}: range bound is missing or not a number",
            hint="every range needs a numeric or dotted-IPv4 lower and upper bound "
            "(a spreadsheet may have turned numbers into text like 1.02E+09)",
        )
    for check, what in (
        (np.flatnonzero(lower > upper), "lower bound above its upper bound"),
        (np.flatnonzero(lower[1:] < lower[:-1]) + 1, "ranges not sorted by lower bound"),
        (np.flatnonzero(lower[1:] <= upper[:-1]) + 1, "overlapping ranges"),
    ):
        if len(check):
            who = _rows(path, check, pairs="above" not in what)
            raise DataError(
                f"{path}: {what}: {who}",
                hint="sort the table by lower bound and make ranges disjoint (a spreadsheet "
                "may have rounded bounds, e.g. to 1.02E+09)",
            )


def range_join(path: Path, table: pl.DataFrame, lookup: Lookup, key: pl.Series) -> pl.Series:
    assert lookup.range is not None
    lower = as_number(table[lookup.range[0]]).fill_null(np.nan).to_numpy()
    upper = as_number(table[lookup.range[1]]).fill_null(np.nan).to_numpy()
    check_ranges(path, lower, upper)
    k = as_number(key).fill_null(np.nan).to_numpy()
    i = np.searchsorted(lower, k, side="right") - 1
    hit = (i >= 0) & (k <= upper[np.maximum(i, 0)]) & ~np.isnan(k)
    picked = table[lookup.value].gather(np.maximum(i, 0))
    return pl.select(pl.when(pl.Series(hit)).then(picked)).to_series().alias(lookup.name)


def exact_join(path: Path, table: pl.DataFrame, lookup: Lookup, key: pl.Series) -> pl.Series:
    assert lookup.match is not None
    side = table.select(pl.col(lookup.match).alias("_k"), pl.col(lookup.value).alias(lookup.name))
    dup = side.filter(pl.col("_k").is_not_null() & pl.col("_k").is_duplicated())
    if dup.height:
        first = side["_k"].to_list().index(dup["_k"][0])
        raise DataError(
            f"{path}: lookup key {dup['_k'][0]!r} appears more than once ({_row(path, first)})",
            hint="an exact lookup needs one row per key",
        )
    left = key.alias("_k").to_frame()
    if left["_k"].dtype != side["_k"].dtype:
        left = left.with_columns(pl.col("_k").cast(pl.String))
        side = side.with_columns(pl.col("_k").cast(pl.String))
    joined = left.join(side, on="_k", how="left", maintain_order="left")
    return joined[lookup.name]


def lookup_column(
    lookup: Lookup, base: Path, key: pl.Series, where: Location | None = None
) -> pl.Series:
    path, table = read_side_table(lookup, base, where)
    if lookup.range is not None:
        return range_join(path, table, lookup, key)
    return exact_join(path, table, lookup, key)
