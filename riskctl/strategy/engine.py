"""The decision engine: a strategy applied to a table in one vectorised polars pass.

A row's action is the most severe of the actions its score thresholds give and the actions
of the active rules that match it. Every row keeps what matched and which one decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from riskctl.errors import ConfigError
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Strategy

# besides these, one boolean column per enabled rule (`rule:<name>`) and per threshold
# (`threshold:<action>:<score column>`) says whether it fired on the row
ACTION = "action"
FLAGGED = "flagged"
DECIDED_BY = "decided_by"
SEGMENT = "segment"
MATCHED = "matched"
DECISION_COLUMNS = [ACTION, FLAGGED, DECIDED_BY, SEGMENT]


@dataclass(frozen=True)
class CompiledStrategy:
    loaded: LoadedStrategy
    rules: dict[str, pl.Expr]  # every enabled rule, shadow ones included
    segments: dict[str, pl.Expr]

    @property
    def strategy(self) -> Strategy:
        return self.loaded.strategy


def threshold_name(action: str, score: str) -> str:
    return f"threshold:{action}:{score}"


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
    return CompiledStrategy(loaded, rules, segments)


def condition_columns(loaded: LoadedStrategy) -> list[str]:
    """Columns the rules' and segments' conditions read (those that parse)."""
    s = loaded.strategy
    names: list[str] = []
    for sql in [r.when for r in s.rules if r.enabled] + [g.when for g in s.segments]:
        try:
            names += pl.sql_expr(sql).meta.root_names()
        except pl.exceptions.PolarsError:
            continue
    return list(dict.fromkeys(names))


def _threshold_hits(c: CompiledStrategy) -> dict[tuple[str, str], pl.Expr]:
    """(action, score column) -> whether the row's score reaches its segment's threshold."""
    s = c.strategy
    pairs = {(a, col) for a, t in s.thresholds.items() for col in t}
    pairs |= {(a, col) for g in s.segments for a, t in g.thresholds.items() for col in t}
    hits: dict[tuple[str, str], pl.Expr] = {}
    for action, col in sorted(pairs, key=lambda p: (s.actions.index(p[0]), p[1])):
        base = s.thresholds.get(action, {}).get(col)
        threshold: pl.Expr = pl.lit(base, dtype=pl.Float64)
        for g in reversed(s.segments):
            override = g.thresholds.get(action, {}).get(col)
            if override is not None:
                threshold = (
                    pl.when(pl.col(SEGMENT) == g.name)
                    .then(pl.lit(override, dtype=pl.Float64))
                    .otherwise(threshold)
                )
        hits[(action, col)] = (pl.col(col) >= threshold).fill_null(False)
    return hits


def matched_list(names: list[str]) -> pl.Expr:
    """The names of the fired rules and thresholds, as one list per row, from their boolean
    hit columns. Built only for output: a list of strings per row costs far more than the
    decision itself (measured: 10 s of 12 on 10M rows)."""
    if not names:
        return pl.lit([], dtype=pl.List(pl.String)).alias(MATCHED)
    return (
        pl.concat_list([pl.when(pl.col(n)).then(pl.lit(n.removeprefix("rule:"))) for n in names])
        .list.drop_nulls()
        .alias(MATCHED)
    )


def hit_columns(columns: list[str]) -> list[str]:
    return [c for c in columns if c.startswith(("rule:", "threshold:"))]


def decide(c: CompiledStrategy, lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` plus action, flagged, decided_by, segment, and one boolean hit column per rule
    (`rule:<name>`) and threshold (`threshold:<action>:<score>`)."""
    s = c.strategy
    segment: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, cond in reversed(list(c.segments.items())):
        segment = pl.when(cond).then(pl.lit(name)).otherwise(segment)
    lf = lf.with_columns(segment.alias(SEGMENT))
    hits = _threshold_hits(c)
    active = {r.name: r for r in s.rules if r.enabled and r.mode == "active"}
    rank_of = {a: i for i, a in enumerate(s.actions)}
    pass_rank = len(s.actions) - 1
    # candidates in decision order: most severe first; at equal severity rules before scores
    deciders: list[tuple[str, pl.Expr, int]] = []
    for action in s.actions[:-1]:
        deciders += [
            (f"rule:{n}", c.rules[n], rank_of[action])
            for n, r in active.items()
            if r.action == action
        ]
        deciders += [
            (threshold_name(a, col), e, rank_of[a]) for (a, col), e in hits.items() if a == action
        ]
    if deciders:
        rank = pl.min_horizontal([pl.when(e).then(r).otherwise(pass_rank) for _, e, r in deciders])
        decided_by = pl.coalesce([pl.when(e).then(pl.lit(n)) for n, e, _ in deciders])
    else:
        rank, decided_by = pl.lit(pass_rank), pl.lit(None, dtype=pl.String)
    return (
        lf.with_columns(
            rank.cast(pl.Int64).alias("_rank"),
            decided_by.alias(DECIDED_BY),
            *[e.alias(f"rule:{n}") for n, e in c.rules.items()],
            *[e.alias(threshold_name(a, col)) for (a, col), e in hits.items()],
        )
        .with_columns(
            pl.col("_rank")
            .replace_strict(list(range(len(s.actions))), list(s.actions), return_dtype=pl.String)
            .alias(ACTION),
            (pl.col("_rank") != pass_rank).alias(FLAGGED),
        )
        .drop("_rank")
    )
