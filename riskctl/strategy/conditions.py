"""SQL conditions compiled to polars expressions: vectorised, and never `eval`."""

from __future__ import annotations

import difflib

import polars as pl

from riskctl.errors import ConfigError, Location, first_line, name_list
from riskctl.sqlsafe import sql_expr
from riskctl.strategy.finite import unknown_when_not_finite
from riskctl.strategy.rounding import sql_rounding


def compile_condition(sql: str, schema: pl.Schema, where: Location) -> pl.Expr:
    """Compile `sql` (a SQL WHERE condition) and check it against the table's columns.

    Null inputs make a condition false: a rule never fires on data it cannot see. NaN and
    infinite values (in the data, or made by `x / 0`) count as null in comparisons.
    """
    expr = condition_expr(sql, schema, where)
    try:
        # run it on a 0-row frame of the data's schema: types that do not compare (a string
        # column against a number) fail here, with the rule and line, not mid-simulation
        dtype = pl.LazyFrame(schema=schema).select(expr).collect().dtypes[0]
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(
            f"condition cannot run on this data: {sql!r}", where, hint=_type_hint(exc, expr, schema)
        ) from None
    if dtype != pl.Boolean:
        raise ConfigError(
            f"condition gives {dtype}, not true/false: {sql!r}",
            where,
            hint="compare the column, e.g. `amount > 100`",
        )
    return decided(expr, schema)


def condition_expr(sql: str, schema: pl.Schema, where: Location) -> pl.Expr:
    """`sql` parsed (SQL rounding), its columns checked against `schema`; not yet run."""
    expr = sql_rounding(parse_condition(sql, where))
    names = list(schema.names())
    for column in expr.meta.root_names():
        if column not in schema:
            close = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "columns are: " + name_list(names)
            raise ConfigError(f"unknown column '{column}'", where, hint=hint)
    return expr


def decided(expr: pl.Expr, schema: pl.Schema) -> pl.Expr:
    """A checked condition as the engine decides it: NaN and infinite operands unknown,
    unknown false."""
    return unknown_when_not_finite(expr, schema).fill_null(False)


def parse_condition(sql: str, where: Location) -> pl.Expr:
    """`sql` as a polars expression, refused when it does more than compute on the row's
    columns, does not parse, or nests so deeply (a chain of hundreds of ORs) that planning
    it would take minutes and gigabytes (riskctl.sqlsafe)."""
    try:
        return sql_expr(sql, where)
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(
            f"condition does not parse as SQL: {sql!r}", where, hint=first_line(exc)
        ) from None


def _type_hint(exc: Exception, expr: pl.Expr, schema: pl.Schema) -> str:
    """polars' reason, and which columns are text when text meets a number: a number column
    with a word such as `NA` in it reads as text."""
    reason = first_line(exc)
    times = [c for c in expr.meta.root_names() if (t := schema.get(c)) and t.is_temporal()]
    if "date/datetime/time" in reason and times:
        return (
            f"'{times[0]}' holds dates or times: compare it with a time, e.g. "
            f"`{times[0]} > CAST('2026-01-10' AS TIMESTAMP)` (or AS DATE for a date column)"
        )
    text = [c for c in expr.meta.root_names() if schema.get(c) == pl.String]
    if "string" not in reason.lower() or not text:
        return reason
    names = ", ".join(f"'{c}'" for c in dict.fromkeys(text))
    return (
        f"{reason}; {names} holds text in this data: if it should be numbers, leave missing "
        "values empty (or write NaN) instead of a word such as NA"
    )
