"""Time order for rule search: the later holdout window the search never sees, and the
earlier search window cut into consecutive periods (folds) a rule must pay in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError


@dataclass(frozen=True)
class HoldoutSplit:
    holdout_from: Any  # rows at or after this time are the holdout
    search: np.ndarray  # boolean per row: the search window
    holdout: np.ndarray  # boolean per row: the holdout window
    fold: np.ndarray  # per row: the search period (0 .. folds-1), -1 outside the search
    edges: np.ndarray  # the times where periods 1 .. folds-1 begin (`fold_of`)


def check_options(
    holdout: float | None, holdout_from: str | None, folds: int, min_folds: int
) -> None:
    """Refuse split settings that cannot work, before any data is read."""
    if holdout is not None and holdout_from is not None:
        raise UsageError(
            "--holdout and --holdout-from both given", hint="pass one of them (a share or a date)"
        )
    if holdout is not None and not 0 < holdout < 1:
        raise UsageError(
            f"--holdout {holdout:g} is not a share between 0 and 1",
            hint="e.g. --holdout 0.3 judges the rules on the latest 30% of rows",
        )
    if holdout_from is not None:
        parse_date(holdout_from)
    if folds < 1:
        raise UsageError(f"--folds {folds} is below 1", hint="e.g. --folds 4")
    if not 1 <= min_folds <= folds:
        raise UsageError(
            f"--min-folds {min_folds} is not between 1 and --folds {folds}",
            hint=f"e.g. --min-folds {max(1, folds - 1)}",
        )


def parse_date(text: str) -> datetime:
    """`--holdout-from` as a time (a date is its midnight)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
        except ValueError:
            raise UsageError(
                f"--holdout-from {text!r} is not a date",
                hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
            ) from None
    if parsed.tzinfo is not None:
        raise UsageError(
            f"--holdout-from {text!r} has a UTC offset",
            hint="write the time as the data's own clock shows it, without an offset",
        )
    return parsed


def split_rows(
    times: pl.Series, holdout: float | None, holdout_from: str | None, folds: int
) -> HoldoutSplit:
    """Holdout: rows at or after `--holdout-from`, else the latest `holdout` share of rows
    (by time). Search folds: the search window's rows in time order, cut at equal counts
    (rows sharing a time stay together)."""
    t = times_of(times)
    if holdout_from is not None:
        cut = np.datetime64(parse_date(holdout_from), "us")
    else:
        ordered = np.sort(t[~np.isnat(t)])
        if len(ordered) == 0:
            raise UsageError("no row has a time", hint="check the time column")
        cut = ordered[min(len(ordered) - 1, int(len(ordered) * (1 - (holdout or 0.3))))]
    valid = ~np.isnat(t)
    held = valid & (t >= cut)
    search = valid & (t < cut)
    if not held.any() or not search.any():
        which = "holdout" if not held.any() else "search"
        raise UsageError(
            f"the {which} window is empty (holdout from {_text(cut)})",
            hint="choose --holdout-from inside the data's time range, or another --holdout",
        )
    ordered = np.sort(t[search])
    distinct = 1 + int(np.count_nonzero(np.diff(ordered)))  # sorted: each change is a new time
    if folds > distinct:
        raise UsageError(
            f"--folds {folds} is more periods than the search window has distinct times "
            f"({distinct:,})",
            hint="choose fewer --folds, or a longer history",
        )
    edges = [ordered[min(len(ordered) - 1, len(ordered) * k // folds)] for k in range(1, folds)]
    edge_times = np.array(edges, dtype=t.dtype)
    return HoldoutSplit(_text(cut), search, held, fold_of(t, _text(cut), edge_times), edge_times)


def in_search(t: np.ndarray, cut: str) -> np.ndarray:
    """Rows of the search window: a time (`times_of`) before the holdout's cut."""
    return ~np.isnat(t) & (t < np.datetime64(cut, "us"))


def fold_of(t: np.ndarray, cut: str, edges: np.ndarray) -> np.ndarray:
    """Each row's search period (-1 outside the search window), from the periods' first
    times: rows of any part of a table get the periods the whole table gives them."""
    fold = np.full(len(t), -1, dtype=np.int64)
    search = in_search(t, cut)
    fold[search] = np.searchsorted(edges, t[search], side="right")
    return fold


def times_of(times: pl.Series) -> np.ndarray:
    """The time column as naive microsecond times (dates at midnight, zones dropped)."""
    if times.dtype == pl.Date:
        times = times.cast(pl.Datetime("us"))
    elif isinstance(times.dtype, pl.Datetime):
        times = times.dt.replace_time_zone(None).dt.cast_time_unit("us")
    else:
        raise UsageError(
            f"time column '{times.name}' does not hold times",
            hint="rules are chosen on earlier rows and proven on later ones: name a "
            "date or datetime column with --time",
        )
    return times.to_numpy()


def at_or_after(column: str, dtype: pl.DataType, cut: str) -> pl.Expr:
    """Rows of the holdout window (`HoldoutSplit.holdout`) as an expression: the time, read as
    `split_rows` reads it (dates at midnight, zones dropped), at or after `cut`
    (`HoldoutSplit.holdout_from`)."""
    t = pl.col(column)
    if dtype == pl.Date:
        t = t.cast(pl.Datetime("us"))
    elif isinstance(dtype, pl.Datetime):
        t = t.dt.replace_time_zone(None).dt.cast_time_unit("us")
    moment = pl.lit(np.datetime64(cut, "us")).cast(pl.Datetime("us"))
    return t.is_not_null() & (t >= moment)


def _text(cut: np.datetime64) -> str:
    return str(np.datetime_as_string(cut, unit="us"))
