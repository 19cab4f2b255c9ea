"""Which condition a strategy failed on, when applying it to real rows fails (a cast that no
type-check on the schema could foresee, e.g. `CAST(note AS INT) > 3` on text)."""

from __future__ import annotations

import polars as pl

from riskctl.errors import ConfigError, DataError, RiskctlError
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.load import LoadedStrategy


def condition_failure(
    strategies: list[LoadedStrategy], frame: pl.DataFrame | pl.LazyFrame, exc: Exception
) -> RiskctlError:
    """A ConfigError naming the first rule or segment whose condition fails on `frame`, with
    its file:line; a DataError naming the files when none fails on its own."""
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
                    f"condition fails on this data: {sql!r}", where, hint=_first_line(failed)
                )
            except RiskctlError as error:
                return error
    names = ", ".join(str(loaded.path) for loaded in strategies)
    return DataError(f"{names}: cannot apply the strategy to this data: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
