"""Labels as they come: 0/1, booleans, or any two-or-more-valued column with the value that
means bad named by the user (`-1`/`1`, `fraud`/`legit`, `yes`/`no`, `true`/`false`)."""

from __future__ import annotations

import polars as pl

from riskctl.errors import DataError

_SHOWN_VALUES = 8


def label_values(column: pl.Series) -> list[str]:
    """The distinct non-missing values of a label column, as text, sorted."""
    return sorted(column.drop_nulls().cast(pl.String).unique().to_list())


def _is_zero_one(column: pl.Series) -> bool:
    if column.dtype == pl.Boolean:
        return True
    if not column.dtype.is_numeric():
        return False
    values = column.drop_nulls()
    return bool(values.is_in([0, 1]).all())


def _matches(column: pl.Series, bad: str) -> pl.Series:
    """Whether each value equals `bad`: as numbers when both are numbers, else as text
    (case-insensitive, so `--bad true` matches a boolean or a `True` column)."""
    if column.dtype.is_numeric():
        try:
            target = float(bad)
        except ValueError:
            return pl.Series(column.name, [False] * len(column), dtype=pl.Boolean)
        return column.cast(pl.Float64) == target
    text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
    return text == bad.strip().lower()


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
            return column.cast(pl.Int8)
        values = label_values(column)
        shown = ", ".join(repr(v) for v in values[:_SHOWN_VALUES])
        more = f" and {len(values) - _SHOWN_VALUES:,} more" if len(values) > _SHOWN_VALUES else ""
        raise DataError(
            f"{source}: label column '{name}' has values {shown}{more}, not 0/1",
            hint=f"say which value means bad with {how} (e.g. {values[-1]!r})"
            if values
            else "the label column is empty",
        )
    matched = _matches(column, bad)
    if not bool(matched.fill_null(False).any()):
        values = label_values(column)
        shown = ", ".join(repr(v) for v in values[:_SHOWN_VALUES])
        raise DataError(
            f"{source}: the bad value {bad!r} matches no value of label column "
            f"'{name}' (values: {shown})",
            hint=f"set {how} to one of the values found",
        )
    return matched.cast(pl.Int8).alias(name)
