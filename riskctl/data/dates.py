"""Date strings in real exports: ISO timestamps and US-style `2/24/15 22:55`.

Polars parses ISO dates in CSV itself; spreadsheet exports often carry month/day/year text
instead. A string column becomes a datetime when nearly all of a sample of its values parse
with one format; values that do not parse (a truncated last line) become missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

DAY_US = 86_400_000_000  # a day in microseconds
DAY_UNITS = {"ns": DAY_US * 1_000, "us": DAY_US, "ms": DAY_US // 1_000}  # a day per time unit


def matured_before(
    frame: pl.DataFrame | pl.LazyFrame, time: str | None, maturity_days: float, as_of: Any = None
) -> Any:
    """The time at or before which a row's label has matured: `as_of` (else the newest
    `time` in `frame`) minus `maturity_days`. None when every row counts (no maturity, or no
    time column). One machine and the cluster (on the parts' newest times) both ask here."""
    if maturity_days <= 0 or time is None:
        return None
    age = pl.duration(microseconds=int(maturity_days * DAY_US))
    if as_of is not None:
        return pl.select(pl.lit(as_of) - age).item()
    return frame.lazy().select(pl.col(time).max() - age).collect().item()


# two-digit years first: `%Y` would read the `15` of `2/24/15` as the year 15, while `%y`
# cannot read `2015` at all; month/day before day/month (US exports)
FORMATS = [
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%:z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%y %H:%M:%S",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
]
SAMPLE = 500
MIN_PARSED_SHARE = 0.9
_DATE_LIKE = re.compile(r"^\s*\d{1,4}[-/]\d{1,2}[-/]\d{1,4}")


def date_format(values: pl.Series) -> str | None:
    """The first format that parses nearly all of `values` (a string sample), if any."""
    sample = values.drop_nulls().str.strip_chars().head(SAMPLE)
    sample = sample.filter(sample.str.len_chars() > 0)
    if sample.is_empty() or not all(_DATE_LIKE.match(v) for v in sample.head(20).to_list()):
        return None
    for fmt in FORMATS:
        parsed = sample.str.to_datetime(fmt, strict=False, exact=True)
        # one bad value is allowed even in a tiny sample: a truncated last line
        failed = parsed.null_count()
        if failed < sample.len() and failed <= max(1, (1 - MIN_PARSED_SHARE) * sample.len()):
            return fmt
    return None


_SLASH_DATE = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{2,4}")


def slash_date_columns(csv_path: Path) -> list[str]:
    """Columns of a CSV whose first values look like `2/24/15 22:55` (a sample read as text)."""
    from riskctl.data.separators import separator_of

    sample = pl.read_csv(
        csv_path,
        separator=separator_of(csv_path),
        n_rows=SAMPLE,
        infer_schema_length=0,
        truncate_ragged_lines=True,
        ignore_errors=True,
    )
    out = []
    for name in sample.columns:
        values = sample[name].drop_nulls().head(20).to_list()
        if values and all(_SLASH_DATE.match(v) for v in values):
            out.append(name)
    return out


def unreadable_example(values: pl.Series) -> str | None:
    """A value of a sample that no format reads (the one to name in an error), if any."""
    sample = values.drop_nulls().str.strip_chars().head(SAMPLE)
    unread = pl.Series([True] * sample.len())
    for fmt in FORMATS:
        unread &= sample.str.to_datetime(fmt, strict=False, exact=True).is_null()
    bad = sample.filter(unread)
    return bad[0] if bad.len() else None


def parse_date_strings(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Turn string columns that hold dates into Datetime columns."""
    schema = lf.collect_schema()
    strings = [name for name, dtype in schema.items() if dtype == pl.String]
    if not strings:
        return lf
    sample = lf.select(strings).head(SAMPLE).collect()
    casts = []
    for name in strings:
        fmt = date_format(sample[name])
        if fmt is not None:
            casts.append(
                pl.col(name)
                .str.strip_chars()
                .str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
                .alias(name)
            )
    return lf.with_columns(casts) if casts else lf
