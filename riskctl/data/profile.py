"""`riskctl data profile`: what a history holds before anyone trains on it.

Columns with their type, inferred role and why, missing and distinct counts; the label (0/1,
or named values with the value that means bad), the time span, the label rate per period,
unlabelled rows, and whether the latest labels look mature.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.csvcheck import cut_last_line, irregular_lines
from riskctl.data.io import scan_table, table_format
from riskctl.data.labels import binary_label, label_values
from riskctl.data.memory import TABLE_COPIES, check_fits
from riskctl.data.roles import LABEL, TIME, infer_roles
from riskctl.errors import DataError, RiskctlError, UsageError, name_list
from riskctl.numbers import fmt_number

_LABEL_NAME = re.compile(r"(?i)^(is_?)?(bad|fraud|fraudulent|label|target|class|y|chargeback)$")
_TIME_NAME = re.compile(r"(?i)(event|purchase|order|transaction|created|click)_?(time|at|date)")
IMMATURE_RATE = 0.5  # a latest period below this share of the earlier median bad rate
IMMATURE_LABELLED = 0.9  # or with fewer labelled rows than this share of the earlier median
PERIOD_ALIASES = {"day": "1d", "week": "1w", "month": "1mo"}


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    dtype: str
    role: str
    why: str
    nulls: int
    distinct: int
    low: str | None  # smallest value, for numbers and times
    high: str | None
    # numbers: rows per equal-width bin from low to high, as a share of the largest bin
    histogram: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    path: str
    rows: int
    columns: list[ColumnProfile]
    label: str | None
    time: str | None
    inferred: dict[str, str]  # role -> why it was chosen (or why none was)
    label_values: list[str] = field(default_factory=list)
    labelled_rows: int = 0
    unlabelled_rows: int = 0
    bad_rows: int | None = None
    bad_rate: float | None = None
    time_span: dict[str, Any] = field(default_factory=dict)
    period: str | None = None
    periods: list[dict[str, Any]] = field(default_factory=list)
    maturity: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def profile_table(
    path: Path,
    label: str | None = None,
    time: str | None = None,
    bad: str | None = None,
    period: str = "1w",
) -> Profile:
    period = PERIOD_ALIASES.get(period, period)
    lf = scan_table(path, ragged_ok=True)  # a profile describes what is there
    check_fits(lf, str(path), TABLE_COPIES)
    df = lf.collect()
    for flag, name in (("--label", label), ("--time", time)):
        if name is not None and name not in df.columns:
            raise UsageError(
                f"{flag} names an unknown column: {name}",
                hint="columns are: " + name_list(df.columns),
            )
    inferred: dict[str, str] = {}
    label = label or _guess_label(df, inferred)
    time = time or _guess_time(df, inferred)
    if time and not df.schema[time].is_temporal():
        raise DataError(f"{path}: time column '{time}' is {df.schema[time]}, not a date or time")
    roles = {r.column: r for r in infer_roles(df, label or "", time)}
    why = {label: inferred.get(LABEL, "--label"), time: inferred.get(TIME, "--time")}
    columns = [
        _column(df[c], LABEL if c == label else roles[c].role, why.get(c) or roles[c].why)
        for c in df.columns
    ]
    cut = _cut_note(Path(path))
    notes = [*cut, *_ragged_notes(Path(path)), *_notes(df, looked_cut=bool(cut))]
    prof = Profile(str(path), df.height, columns, label, time, inferred, notes=notes)
    if time:
        prof = _with_time(prof, df[time])
    if label:
        prof = _with_label(prof, df, label, time, bad, period)
    return prof


HISTOGRAM_BINS = 24


def _column(s: pl.Series, role: str, why: str) -> ColumnProfile:
    low = high = None
    histogram: list[float] = []
    if s.dtype.is_numeric():
        lo, hi = s.min(), s.max()
        low, high = (
            (None if lo is None else fmt_number(lo)),
            (None if hi is None else fmt_number(hi)),
        )
        histogram = _histogram(s)
    elif s.dtype.is_temporal():
        lo, hi = s.min(), s.max()
        low, high = (None if lo is None else str(lo)), (None if hi is None else str(hi))
    distinct = s.drop_nulls().n_unique()
    dtype = "Datetime" if isinstance(s.dtype, pl.Datetime) else str(s.dtype)
    return ColumnProfile(s.name, dtype, role, why, s.null_count(), distinct, low, high, histogram)


def _histogram(s: pl.Series) -> list[float]:
    """Rows per equal-width bin over the column's finite values, each a share of the
    largest bin (empty when there are none)."""
    values = s.cast(pl.Float64).to_numpy()
    values = values[np.isfinite(values)]
    if not len(values):
        return []
    lo, hi = float(values.min()), float(values.max())
    bins = HISTOGRAM_BINS if hi > lo else 1
    counts, _ = np.histogram(values, bins=bins, range=(lo, hi) if hi > lo else None)
    return [round(float(c) / float(counts.max()), 4) for c in counts]


def _guess_label(df: pl.DataFrame, inferred: dict[str, str]) -> str | None:
    named = [c for c in df.columns if _LABEL_NAME.match(c) and df[c].drop_nulls().n_unique() == 2]
    if len(named) == 1:
        inferred[LABEL] = f"'{named[0]}': named like a label, two distinct values"
        return named[0]
    inferred[LABEL] = (
        "none: pass --label COL"
        if not named
        else f"ambiguous ({', '.join(named)}): pass --label COL"
    )
    return None


def _guess_time(df: pl.DataFrame, inferred: dict[str, str]) -> str | None:
    temporal = [c for c, t in df.schema.items() if t.is_temporal()]
    named = [c for c in temporal if _TIME_NAME.search(c)]
    if len(temporal) == 1:
        inferred[TIME] = f"'{temporal[0]}': the only date/time column"
        return temporal[0]
    if len(named) == 1:
        inferred[TIME] = f"'{named[0]}': named like an event time among {len(temporal)} dates"
        return named[0]
    inferred[TIME] = (
        "none: no date/time column"
        if not temporal
        else f"ambiguous ({', '.join(temporal)}): pass --time COL"
    )
    return None


def _with_time(prof: Profile, t: pl.Series) -> Profile:
    lo, hi = t.min(), t.max()
    span: dict[str, Any] = {"start": str(lo), "end": str(hi), "missing": t.null_count()}
    seconds = t.cast(pl.Datetime("us")).dt.epoch("s").drop_nulls().to_numpy()
    if len(seconds):
        span["days"] = round(float(seconds.max() - seconds.min()) / 86_400, 2)
    return Profile(**{**_shallow(prof), "time_span": span})


def _with_label(
    prof: Profile, df: pl.DataFrame, label: str, time: str | None, bad: str | None, period: str
) -> Profile:
    values = label_values(df[label])
    changes: dict[str, Any] = {"label_values": values}
    unlabelled = df[label].null_count()
    changes.update(labelled_rows=df.height - unlabelled, unlabelled_rows=unlabelled)
    try:
        y = binary_label(df[label], bad, prof.path)
    except RiskctlError as exc:  # a profile reports; training refuses
        notes = [*prof.notes, f"label: {exc}"]
        return Profile(**{**_shallow(prof), **changes, "notes": notes})
    labelled = y.drop_nulls()
    bad_rows = int(labelled.sum())
    changes.update(bad_rows=bad_rows, bad_rate=bad_rows / max(len(labelled), 1))
    if time:
        periods = _periods(df[time], y, period)
        changes.update(period=period, periods=periods, maturity=_maturity(periods))
    return Profile(**{**_shallow(prof), **changes})


def _periods(t: pl.Series, y: pl.Series, period: str) -> list[dict[str, Any]]:
    try:
        start = t.dt.truncate(period)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise UsageError(f"--period {period!r} is not a duration", hint="e.g. 1d, 1w, 1mo") from exc
    frame = pl.DataFrame({"period": start, "y": y})
    table = (
        frame.group_by("period")
        .agg(
            rows=pl.len(),
            labelled=pl.col("y").count(),
            bad=pl.col("y").sum(),
        )
        .sort("period", nulls_last=True)
        .with_columns(
            labelled_share=pl.col("labelled") / pl.col("rows"),
            bad_rate=pl.when(pl.col("labelled") > 0).then(pl.col("bad") / pl.col("labelled")),
            period=pl.col("period").dt.date().cast(pl.String),
        )
    )
    return table.to_dicts()


def _maturity(periods: list[dict[str, Any]]) -> str:
    dated = [p for p in periods if p["period"] is not None and p["labelled"]]
    if len(dated) < 4:
        return "too few periods to judge label maturity"
    earlier = dated[: max(len(dated) // 2, 2)]
    rate = sorted(p["bad_rate"] for p in earlier)[len(earlier) // 2]
    share = sorted(p["labelled_share"] for p in earlier)[len(earlier) // 2]
    immature = []
    for p in reversed(dated):
        if p["bad_rate"] < IMMATURE_RATE * rate or p["labelled_share"] < IMMATURE_LABELLED * share:
            immature.append(p)
        else:
            break
    if not immature:
        return (
            f"labels look mature: the latest period's bad rate ({100 * dated[-1]['bad_rate']:.2f}%)"
            f" is in line with earlier periods ({100 * rate:.2f}%)"
        )
    first = immature[-1]
    return (
        f"the latest {len(immature)} period(s), from {first['period']}, look immature: bad rate "
        f"{100 * immature[0]['bad_rate']:.2f}% and {100 * immature[0]['labelled_share']:.0f}% "
        f"labelled in the last, against {100 * rate:.2f}% and {100 * share:.0f}% earlier; "
        "leave them out of training and metrics (label_maturity_days) or wait for labels"
    )


def _cut_note(path: Path) -> list[str]:
    """A CSV whose last line was cut off mid-row: read here, left out by every other
    command (with a warning)."""
    if table_format(path) != "csv":
        return []
    cut = cut_last_line(path)
    if cut is None:
        return []
    line, n, width, _ = cut
    return [
        f"the last line (line {line}) is cut off mid-row ({n} of {width} fields, no line break "
        "at the end): the file looks truncated (an interrupted export); read here with missing "
        "values, left out by every other command"
    ]


def _ragged_notes(path: Path) -> list[str]:
    """CSV lines with another number of fields than the header: the profile reads them
    padded (or cut), which deciding commands refuse, so it names them."""
    if table_format(path) != "csv":
        return []
    bad = irregular_lines(path)
    if not bad:
        return []
    line, n, width = bad[0]
    more = f" and {len(bad) - 1} more such lines" if len(bad) > 1 else ""
    read = "with missing values" if n < width else "without its extra values"
    return [
        f"line {line} has {n} fields, the header has {width}{more}: read here {read}; "
        "simulate, train and the other commands refuse the file until it is fixed"
    ]


def _notes(df: pl.DataFrame, looked_cut: bool = False) -> list[str]:
    """Oddities worth a line: a truncated last row (unless `looked_cut` already said so),
    empty columns."""
    notes = []
    if df.height > 1 and not looked_cut:
        last = df.row(-1)
        earlier = df.head(df.height - 1)
        cut = [
            c
            for c, v in zip(df.columns, last, strict=True)
            if v is None and not earlier[c].null_count()
        ]
        if cut and len(cut) >= max(2, len(df.columns) // 3):
            notes.append(
                f"the last row lacks {len(cut)} of {len(df.columns)} values that every other row "
                "has: the file looks truncated (an interrupted export)"
            )
    empty = [c for c in df.columns if df.height and df[c].null_count() == df.height]
    if empty:
        notes.append("columns with no values: " + ", ".join(empty))
    return notes


def _shallow(prof: Profile) -> dict[str, Any]:
    return {f: getattr(prof, f) for f in prof.__dataclass_fields__}
