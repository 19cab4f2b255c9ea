"""The events `discover` reads, lazily: only the columns it needs, time as Datetime(us),
rows without a time, an account or an entity left out. Each window is read on its own (a
filter on its time range, pushed down to the file), so peak memory follows one window's
edges, not the table.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import polars as pl

from riskctl.data.io import scan_table, table_format
from riskctl.data.memory import TABLE_COPIES, check_fits
from riskctl.data.values import read_labels
from riskctl.discover.graph import EntityKind, account_value, entity_value
from riskctl.discover.strategy import LABEL, STOPPED, with_decisions
from riskctl.discover.windows import Window
from riskctl.errors import UsageError
from riskctl.tempfiles import partial_dir, untrack_partial

Source = Path | pl.DataFrame | pl.LazyFrame  # a table on disk, in memory, or scanned


def scan_events(source: Source) -> pl.LazyFrame:
    if isinstance(source, pl.LazyFrame):
        return source
    return source.lazy() if isinstance(source, pl.DataFrame) else scan_table(source)


@contextlib.contextmanager
def read_once(path: Path) -> Iterator[pl.LazyFrame]:
    """The table at `path`, scanned so that reading it window by window stays cheap: a
    Parquet file as it is (each window's filter is pushed down to it); a text table (CSV,
    NDJSON) streamed once into a temporary Parquet file, removed afterwards, rather than
    parsed again for every window."""
    lf = scan_table(path)
    if table_format(path) == "parquet":
        yield lf
        return
    folder = partial_dir("riskctl-discover-", Path(tempfile.gettempdir()))
    try:
        spilled = folder / "events.parquet"
        lf.sink_parquet(spilled)
        yield pl.scan_parquet(spilled)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        untrack_partial(folder)


def check_time_column(schema: pl.Schema, time: str) -> None:
    dtype = schema[time]
    if not dtype.is_temporal() or dtype == pl.Time or isinstance(dtype, pl.Duration):
        raise UsageError(
            f"--time {time}: the column holds {dtype}, not dates or times",
            hint="pass the event-time column",
        )


def has_entity(accounts: str, kinds: list[EntityKind]) -> pl.Expr:
    some = pl.any_horizontal([entity_value(k).is_not_null() for k in kinds])
    return account_value(accounts).is_not_null() & some


def used_events(
    lf: pl.LazyFrame, accounts: str, kinds: list[EntityKind], time: str
) -> pl.LazyFrame:
    """The rows that take part: a time, an account and at least one entity."""
    lf = lf.with_columns(pl.col(time).cast(pl.Datetime("us")))
    return lf.filter(pl.col(time).is_not_null() & has_entity(accounts, kinds))


def graph_columns(accounts: str, kinds: list[EntityKind], time: str) -> list[str]:
    """The columns the graph of a window is built from, each once."""
    return list(dict.fromkeys([accounts, *(c for k in kinds for c in k.columns), time]))


def in_window(time: str, w: Window) -> pl.Expr:
    return (pl.col(time) >= w.start) & (pl.col(time) < w.end)


def window_rows(
    lf: pl.LazyFrame, time: str, w: Window, source: str, copies: int = TABLE_COPIES
) -> pl.DataFrame:
    """One window's rows of `lf`, once `check_fits` says `copies` of them fit."""
    rows = lf.filter(in_window(time, w))
    check_fits(rows, f"{source} (window from {w.start:%Y-%m-%d %H:%M})", copies)
    return rows.collect()


def details_frame(
    src: Source,
    accounts: str,
    kinds: list[EntityKind],
    time: str,
    strategy: Path | None,
    label: str | None,
) -> pl.LazyFrame:
    """The used rows with the columns a block's details read: the graph's, the strategy's
    decision (STOPPED), the label (coded by `labelled` once a window is read)."""
    lf = scan_events(src)
    keep = graph_columns(accounts, kinds, time)
    if strategy is not None:
        lf = with_decisions(lf, strategy)
        keep.append(STOPPED)
    if label is not None and label not in keep:
        keep.append(label)
    return used_events(lf.select(keep), accounts, kinds, time)


def labelled(rows: pl.DataFrame, label: str | None, source: str) -> pl.DataFrame:
    """`rows` plus the label checked and coded (LABEL), when there is one."""
    if label is None:
        return rows
    return rows.with_columns(read_labels(rows, label, source).alias(LABEL))


def base_rate(
    lf: pl.LazyFrame, time: str, label: str, plan: list[Window], every: timedelta, source: str
) -> float | None:
    """The bad rate of the used rows of `lf`, read one `--every` step at a time (the steps
    from each window's start tile the data, whatever the window length)."""
    bad = known = 0
    for w in plan:
        step = Window(w.start, w.start + every)
        rows = window_rows(lf.select(time, label), time, step, source)
        labels = labelled(rows, label, source)[LABEL].drop_nulls()
        bad += int(labels.sum())
        known += labels.len()
    return bad / known if known else None
