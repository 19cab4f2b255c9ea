"""Checks on the values that decide things: a score that is missing, NaN or infinite is
never silently a decision, and a label is 0 or 1."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.errors import DataError


def check_values(
    frame: pl.DataFrame,
    source: Path | str,
    label: str | None = None,
    scores: Iterable[str] = (),
    amount: str | None = None,
) -> None:
    """Every check a table passes before it decides anything: rows, labels, scores, amount."""
    check_rows(frame, source)
    if label is not None:
        check_labels(frame, label, source)
    check_scores(frame, scores, source)
    if amount is not None:
        check_amount(frame, amount, source)


def check_rows(frame: pl.DataFrame, source: Path | str) -> None:
    """Raise DataError when there is no row to evaluate on."""
    if frame.height == 0:
        raise DataError(f"{source}: no rows to evaluate on", hint="pass a table with labelled rows")


def check_scores(
    frame: pl.DataFrame | pl.LazyFrame, columns: Iterable[str], source: Path | str
) -> None:
    """Raise DataError naming the column, how many rows and the first (1-based data row)
    when a score column is not numeric or holds a missing, NaN or infinite value."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    cols = [c for c in dict.fromkeys(columns) if c in schema]
    for c in cols:
        if not schema[c].is_numeric():
            raise DataError(
                f"{source}: score column '{c}' holds {schema[c]}, not numbers",
                hint="point the strategy or --score at a numeric score column",
            )
    if not cols:
        return
    exprs = []
    for i, c in enumerate(cols):
        bad = pl.col(c).is_null()
        if schema[c].is_float():
            bad = bad | ~pl.col(c).is_finite()
        # the first offending row: `arg_true().first()` (polars' lazy `arg_max` of a boolean
        # can answer a later row)
        exprs += [bad.sum().alias(f"n{i}"), bad.arg_true().first().alias(f"first{i}")]
    counts = lf.select(exprs).collect().row(0)
    for i, c in enumerate(cols):
        n, first = counts[2 * i], counts[2 * i + 1]
        if n:
            raise DataError(
                f"{source}: score column '{c}' has {n:,} missing, NaN or infinite "
                f"values (first at data row {first + 1:,})",
                hint="score those rows or drop them: a missing score is never a decision",
            )


def check_numeric(
    frame: pl.DataFrame | pl.LazyFrame, column: str, role: str, source: Path | str
) -> None:
    """Raise DataError when the `role` column (e.g. amount) does not hold numbers."""
    dtype = frame.lazy().collect_schema()[column]
    if not dtype.is_numeric():
        raise DataError(
            f"{source}: {role} column '{column}' holds {dtype}, not numbers",
            hint=f"pass a numeric column as --{role}, or convert it first",
        )


AMOUNT_HINT = (
    "fill or drop those rows, or leave the amount empty (null) if it is unknown: "
    "a missing amount counts as 0"
)


def check_amount(frame: pl.DataFrame | pl.LazyFrame, column: str, source: Path | str) -> None:
    """Raise DataError when the amount column is not numeric or holds a NaN, infinite or
    negative value (naming how many rows and the first, 1-based data row). A missing (null)
    amount is valid: it counts as 0 in every amount sum."""
    check_numeric(frame, column, "amount", source)
    lf = frame.lazy()
    x = pl.col(column).cast(pl.Float64)
    bad = (~x.is_finite()).fill_null(False)
    negative = (x < 0).fill_null(False) & ~bad
    n, first, minus, first_minus, sq = (
        lf.select(
            bad.sum().alias("n"),
            bad.arg_true().first().alias("first"),
            negative.sum().alias("minus"),
            negative.arg_true().first().alias("first_minus"),
            (x * x).sum().alias("square"),
        )
        .collect()
        .row(0)
    )
    if n:
        raise DataError(
            f"{source}: amount column '{column}' has {n:,} NaN or infinite values "
            f"(first at data row {first + 1:,})",
            hint=AMOUNT_HINT,
        )
    if minus:
        # amount rates are shares of all bad (or good) amount: a negative one makes 200%
        raise DataError(
            f"{source}: amount column '{column}' has {minus:,} negative values "
            f"(first at data row {first_minus + 1:,})",
            hint="an amount is what a row is worth: drop refunds and chargebacks, or use "
            "their absolute value",
        )
    check_amount_sum(sq, column, source)


def check_amount_sum(square_sum: float | None, column: str, source: Path | str) -> None:
    """Raise DataError when finite amounts are too large to add up: the sum of their squares
    (which the amount intervals need; every amount sum is smaller) is not a finite float."""
    if square_sum is not None and not math.isfinite(square_sum):
        raise DataError(
            f"{source}: amount column '{column}' holds amounts too large to add up (the sum "
            "of their squares overflows 64-bit floats)",
            hint="express the amounts in a larger unit (e.g. thousands): riskctl adds "
            "amounts up to about 1e150",
        )


def check_time(frame: pl.DataFrame, column: str | None, source: Path | str) -> None:
    """Raise DataError unless the time column holds dates or times, every one of them (a
    value that did not parse, e.g. in a mixed-format export, is missing)."""
    if column is None:
        return
    values = frame[column]
    if not values.dtype.is_temporal():
        example = values.drop_nulls().head(1).to_list()
        raise DataError(
            f"{source}: time column '{column}' holds {values.dtype}"
            + (f" (e.g. {example[0]!r})" if example else "")
            + " that riskctl cannot read as dates",
            hint="write times as ISO 8601 (2024-01-31 13:45:00), one format for the column",
        )
    missing = values.is_null()
    if missing.any():
        raise DataError(
            f"{source}: time column '{column}' has {int(missing.sum()):,} missing or "
            f"unreadable values (first at data row {int(missing.arg_max() or 0) + 1:,})",
            hint="write every time in one format (ISO 8601), or drop those rows",
        )


def check_labels(frame: pl.DataFrame, label: str, source: Path | str) -> None:
    """Raise DataError unless every value of `label` is 0, 1 (true/false allowed) or
    missing."""
    values = frame[label]
    if values.dtype == pl.Boolean:
        values = values.cast(pl.Int8)
    elif not values.dtype.is_numeric():
        text = values.drop_nulls().cast(pl.String).str.strip_chars()
        text = text.filter(text != "")  # an empty label is missing (docs/explanation/strategies.md)
        if not text.len():  # every label empty: no outcome is known yet
            return
        odd = text.filter(~text.is_in(["0", "1"]))
        if text.len() and not odd.len():
            raise DataError(
                f"{source}: label column '{label}' holds 0 and 1 as text ({values.dtype})",
                hint="store the labels as numbers, or name the value that means bad with "
                '`bad: "1"` next to `label:` in the strategy',
            )
        if text.len() and odd.len() < text.len():  # 0/1 with a few other words: missing?
            raise DataError(
                f"{source}: label column '{label}' holds 0/1 and {odd.len():,} other values "
                f"(e.g. {odd[0]!r})",
                hint="leave the label of a row with no outcome empty (or write NaN), or "
                "name the value that means bad with `bad:` next to `label:`",
            )
        example = text.head(1).to_list()
        raise DataError(
            f"{source}: label column '{label}' holds {values.dtype}"
            + (f" (e.g. {example[0]!r})" if example else "")
            + ", not 0/1",
            hint="labels must be 1 = bad, 0 = good: name the value that means bad with "
            "`bad:` next to `label:` in the strategy (or `riskctl train --bad`)",
        )
    # a missing label (null, empty or NaN) is a row with no outcome: valid, counted apart
    known = values.cast(pl.Float64).fill_nan(None)
    other = values.filter(known.is_not_null() & ~known.is_in([0.0, 1.0]))
    if other.len():
        raise DataError(
            f"{source}: label column '{label}' has {other.len():,} values other than 0 and 1 "
            f"(e.g. {other[0]!r})",
            hint="labels must be 1 = bad, 0 = good",
        )


OTHER_LABEL = -9  # the code of a label that is neither 0, 1 nor missing


def label_code(column: str, dtype: pl.DataType) -> pl.Expr:
    """The label column `column` (of type `dtype`) coded as Int8, lazily: 1 bad, 0 good,
    null where no outcome is known (null or NaN), OTHER_LABEL for any other value (a
    streaming pass codes first; `check_labels` then names the problem). A text column, which
    `check_labels` accepts only when every label is empty, is all unknown."""
    label = pl.col(column)
    if dtype == pl.Boolean:
        code = label.cast(pl.Int8)
    elif not dtype.is_numeric():  # one unknown per row
        code = pl.when(label.is_null() | True).then(pl.lit(None, dtype=pl.Int8))
    elif dtype.is_integer():  # fewer kernels than the float path: no NaN to look for
        known = label.is_null() | (label == 0) | (label == 1)
        code = pl.when(known).then(label.cast(pl.Int8)).otherwise(pl.lit(OTHER_LABEL, pl.Int8))
    else:
        as_float = label.cast(pl.Float64)
        code = (
            pl.when(label.is_null() | as_float.is_nan())
            .then(None)
            .when(as_float.is_in([0.0, 1.0]))
            .then(as_float.cast(pl.Int8))
            .otherwise(pl.lit(OTHER_LABEL, dtype=pl.Int8))
        )
    return code.alias(column)


def label_codes(values: pl.Series) -> pl.Series:
    """A label column as `label_code` codes it (after `check_labels`: 1, 0 or null)."""
    coded = values.to_frame("label").select(label_code("label", values.dtype))
    return coded.to_series().cast(pl.Int8).alias(values.name)


def read_labels(frame: pl.DataFrame, label: str, source: Path | str) -> pl.Series:
    """The `label` column checked (`check_labels`: 0/1 stored as text is refused, with the
    fix) and coded (`label_codes`). Every command that evaluates labelled rows reads them here."""
    check_labels(frame, label, source)
    return label_codes(frame[label])


NONE = "(none)"  # rows with no value of a `--by` column, or in no segment of a strategy
MISSING_NAMES = (NONE, "(missing)", "(no value)")


def name_missing(present: Iterable[str | None]) -> str:
    """What the group of rows with no value of a `--by` column is called, given the values
    the column holds: `(none)`, unless a real value is spelled so (web analytics exports
    write `(none)` for direct traffic). Every command and path names the group here, from
    the values of the whole column."""
    taken = {v for v in present if v is not None}
    for name in MISSING_NAMES:
        if name not in taken:
            return name
    n = 2
    while f"{NONE} {n}" in taken:
        n += 1
    return f"{NONE} {n}"


def named_values(values: pl.Series) -> np.ndarray:
    """A `--by` column as text, its missing values under `name_missing`."""
    text = values.cast(pl.String)
    return text.fill_null(name_missing(text.drop_nulls().unique().to_list())).to_numpy()
