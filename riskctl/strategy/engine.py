"""The decision engine: a strategy applied to a table in one vectorised polars pass.

A row's action is the most severe of the actions its score thresholds give and the actions
of the active rules that match it. Every row keeps what matched and which one decided; the
frame's hit columns are described by the strategy's `DecisionSchema`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from riskctl.errors import ConfigError
from riskctl.sqlsafe import sql_expr
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.decisions import (
    ACTION,
    DECIDED_BY,
    FLAGGED,
    SEGMENT,
    DecisionSchema,
    decision_schema,
)
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Strategy


@dataclass(frozen=True)
class CompiledStrategy:
    loaded: LoadedStrategy
    rules: dict[str, pl.Expr]  # every enabled rule, shadow ones included
    segments: dict[str, pl.Expr]
    schema: DecisionSchema

    @property
    def strategy(self) -> Strategy:
        return self.loaded.strategy


def compile_strategy(loaded: LoadedStrategy, schema: pl.Schema) -> CompiledStrategy:
    s = loaded.strategy
    for column in s.score_columns():
        if column not in schema:
            raise ConfigError(
                f"score column '{column}' is not in the data",
                loaded.where("thresholds"),
                hint="score the data first (`riskctl score`) or map it to a "
                "detector under `detectors:`",
            )
    rules = {
        r.name: compile_condition(r.when, schema, loaded.where("rules", i, "when"))
        for i, r in enumerate(s.rules)
        if r.enabled
    }
    segments = {
        g.name: compile_condition(g.when, schema, loaded.where("segments", i, "when"))
        for i, g in enumerate(s.segments)
    }
    return CompiledStrategy(loaded, rules, segments, decision_schema(s))


def condition_columns(loaded: LoadedStrategy) -> list[str]:
    """Columns the rules' and segments' conditions read (those that parse)."""
    s = loaded.strategy
    names: list[str] = []
    conditions = [(r.when, ("rules", i)) for i, r in enumerate(s.rules) if r.enabled]
    conditions += [(g.when, ("segments", i)) for i, g in enumerate(s.segments)]
    for sql, key in conditions:
        try:
            names += sql_expr(sql, loaded.where(*key, "when")).meta.root_names()
        except pl.exceptions.PolarsError:
            continue
    return list(dict.fromkeys(names))


def segment_threshold(strategy: Strategy, action: str, score: str) -> pl.Expr:
    """Per row, the (action, score) threshold its segment uses (null: none applies)."""
    base = strategy.thresholds.get(action, {}).get(score)
    threshold: pl.Expr = pl.lit(base, dtype=pl.Float64)
    for g in reversed(strategy.segments):
        override = g.thresholds.get(action, {}).get(score)
        if override is not None:
            threshold = (
                pl.when(pl.col(SEGMENT) == g.name)
                .then(pl.lit(override, dtype=pl.Float64))
                .otherwise(threshold)
            )
    return threshold


def decide(c: CompiledStrategy, lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` plus action, flagged, decided_by, segment, and one boolean hit column per rule
    and per threshold, as `c.schema` describes them."""
    s, schema = c.strategy, c.schema
    segment: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, cond in reversed(list(c.segments.items())):
        segment = pl.when(cond).then(pl.lit(name)).otherwise(segment)
    lf = lf.with_columns(segment.alias(SEGMENT))
    hits: list[pl.Expr] = []
    for d in schema.deciders:
        if d.kind == "rule":
            hits.append(c.rules[d.label].alias(d.column))
        else:
            assert d.score is not None
            fired = pl.col(d.score) >= segment_threshold(s, d.action, d.score)
            hits.append(fired.fill_null(False).alias(d.column))
    acting = schema.acting
    decided_by = (
        pl.coalesce([pl.when(pl.col(d.column)).then(pl.lit(d.column)) for d in acting])
        if acting
        else pl.lit(None, dtype=pl.String)
    )
    return (
        lf.with_columns(hits)
        .with_columns(schema.rank_expr().alias("_rank"), decided_by.alias(DECIDED_BY))
        .with_columns(
            pl.col("_rank")
            .replace_strict(list(range(len(s.actions))), list(s.actions), return_dtype=pl.String)
            .alias(ACTION),
            (pl.col("_rank") != schema.pass_rank).alias(FLAGGED),
        )
        .drop("_rank")
    )
