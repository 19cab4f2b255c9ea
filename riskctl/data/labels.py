"""Labels as they come: 0/1, booleans, or any two-or-more-valued column with the value that
means bad named by the user (`-1`/`1`, `fraud`/`legit`, `yes`/`no`, `true`/`false`)."""

from __future__ import annotations

import polars as pl

from riskctl.data.values import OTHER_LABEL, label_code, label_codes
from riskctl.errors import DataError

_SHOWN_VALUES = 8
# how a strategy names the bad value
BAD_HOW = "`bad:` next to `label:` in the strategy"


def label_values(column: pl.Series) -> list[str]:
    """The distinct non-missing values of a label column, as text, sorted."""
    if column.dtype.is_float():
        column = column.fill_nan(None)
    values = column.drop_nulls().cast(pl.String).unique().to_list()
    return sorted(v for v in values if v.strip().lower() not in MISSING_TEXT)


def _is_zero_one(column: pl.Series) -> bool:
    """Boolean, or numbers that are all 0, 1 or missing (null or NaN)."""
    if not (column.dtype.is_numeric() or column.dtype == pl.Boolean):
        return False
    return not bool((label_codes(column) == OTHER_LABEL).any())


def label_expr(name: str, dtype: pl.DataType, bad: str | None) -> pl.Expr:
    """The label as Int8 1 = bad, 0 = good (missing stays missing), as a lazy expression:
    a 0/1 label is cast; otherwise a value equal to `bad` is bad, as numbers when both are
    numbers, else as text (case-insensitive, so `true` matches a boolean or `True`).
    Missing means null, NaN, or an empty or `NaN` text: never good."""
    col = pl.col(name)
    if bad is None:
        return label_code(name, dtype)
    if dtype.is_numeric():
        try:
            target = float(bad)
        except ValueError:
            return (col.is_null() & False).cast(pl.Int8)  # matches nothing
        matched = col.cast(pl.Float64) == target
        missing = col.is_null() | col.cast(pl.Float64).is_nan()
    else:
        text = col.cast(pl.String).str.strip_chars().str.to_lowercase()
        matched = text == bad.strip().lower()
        missing = col.is_null() | text.is_in(MISSING_TEXT)
    return pl.when(missing).then(None).otherwise(matched).cast(pl.Int8)


MISSING_TEXT = ["", "nan"]


def binary_label(
    column: pl.Series, bad: str | None, source: str, how: str = "--bad VALUE"
) -> pl.Series:
    """The label as Int8 1 = bad, 0 = good, missing stays missing.

    A 0/1 (or boolean) column needs nothing; any other column needs `bad`, the value that
    means bad; every other value is good.
    """
    name = column.name
    if bad is None:
        if _is_zero_one(column):
            return label_codes(column)
        values = label_values(column)
        shown = ", ".join(repr(v) for v in values[:_SHOWN_VALUES])
        more = f" and {len(values) - _SHOWN_VALUES:,} more" if len(values) > _SHOWN_VALUES else ""
        raise DataError(
            f"{source}: label column '{name}' has values {shown}{more}, not 0/1",
            hint=f"say which value means bad with {how} (e.g. {values[-1]!r})"
            if values
            else "the label column is empty",
        )
    matched = column.to_frame().select(label_expr(name, column.dtype, bad)).to_series()
    if not bool((matched == 1).any()):
        values = label_values(column)
        shown = ", ".join(repr(v) for v in values[:_SHOWN_VALUES])
        raise DataError(
            f"{source}: the bad value {bad!r} matches no value of label column "
            f"'{name}' (values: {shown})",
            hint=f"set {how} to one of the values found",
        )
    return matched.alias(name)
