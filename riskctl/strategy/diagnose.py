"""Which condition a strategy failed on, when applying it to real rows fails (a cast that no
type-check on the schema could foresee, e.g. `CAST(note AS INT) > 3` on text)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from riskctl.errors import ConfigError, DataError, RiskctlError, first_line
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.load import LoadedStrategy

CAST = re.compile(r"conversion from `(\w+)` to `(\w+)` failed in column '([^']+)'")
NUMBER_TYPES = {"f32": pl.Float32, "f64": pl.Float64, "i32": pl.Int32, "i64": pl.Int64}


def condition_failure(
    strategies: list[LoadedStrategy],
    frame: pl.DataFrame | pl.LazyFrame,
    exc: Exception,
    source: Path | str | None = None,
) -> RiskctlError:
    """A ConfigError naming the first rule or segment whose condition fails on `frame`, with
    its file:line; a DataError naming the data (`source`) and the column when a value of it
    cannot be read as a number; else a DataError naming the strategy files."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    for loaded in strategies:
        s = loaded.strategy
        parts = [(r.when, ("rules", i, "when")) for i, r in enumerate(s.rules) if r.enabled]
        parts += [(g.when, ("segments", i, "when")) for i, g in enumerate(s.segments)]
        for sql, key in parts:
            where = loaded.where(*key)
            try:
                lf.select(compile_condition(sql, schema, where)).collect()
            except pl.exceptions.PolarsError as failed:
                return ConfigError(
                    f"condition fails on this data: {sql!r}", where, hint=first_line(failed)
                )
            except RiskctlError as error:
                return error
    cast = _cast_failure(lf, exc, source)
    if cast is not None:
        return cast
    names = ", ".join(str(loaded.path) for loaded in strategies)
    return DataError(f"{names}: cannot apply the strategy to this data: {first_line(exc)}")


def _cast_failure(lf: pl.LazyFrame, exc: Exception, source: Path | str | None) -> DataError | None:
    """A data column (an amount, a score) holding text that is not a number: how many rows
    and the first, counted on the rows themselves (polars counts within one chunk)."""
    found = CAST.search(str(exc))
    if found is None or found.group(3) not in lf.collect_schema():
        return None
    column, target = found.group(3), NUMBER_TYPES.get(found.group(2))
    if target is None:
        return None
    values = pl.col(column)
    bad = values.is_not_null() & values.cast(target, strict=False).is_null()
    n, first, example = (
        lf.select(bad.sum().alias("n"), bad.arg_max().alias("first"), values.filter(bad).first())
        .collect()
        .row(0)
    )
    if not n:
        return None
    where = f"{source}: " if source is not None else ""
    return DataError(
        f"{where}column '{column}' has {n:,} values that are not numbers "
        f"(first at data row {first + 1:,}: {example!r})",
        hint="clean or drop those rows, or convert the column to numbers",
    )
