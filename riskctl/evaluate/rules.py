"""The rule table, and warnings about rules and segments that do nothing on this data.

Per rule: hits, bad hits, precision, incremental catches (bad rows no other rule or
threshold flags; for a shadow rule, bad rows the strategy misses that it would catch), and
overlap with the other rules. Shadow rules are included and marked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from riskctl.errors import Location
from riskctl.evaluate.intervals import Proportion, wilson
from riskctl.strategy.decisions import FLAGGED, SEGMENT, DecisionSchema
from riskctl.strategy.load import LoadedStrategy


@dataclass(frozen=True)
class RuleStats:
    name: str
    action: str
    mode: str
    hits: int
    bad_hits: int
    precision: Proportion
    incremental_hits: int
    incremental_bad: int
    overlap: dict[str, int] = field(default_factory=dict)  # other rule -> rows both fire on
    bad_amount: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["precision"] = self.precision.value
        d["precision_interval"] = [self.precision.low, self.precision.high]
        return d


@dataclass(frozen=True)
class StrategyWarning:
    message: str
    location: Location | None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def rule_table(
    decisions: pl.DataFrame, schema: DecisionSchema, label: str, amount: str | None = None
) -> list[RuleStats]:
    exprs = rule_sums(schema, label, amount)
    if not exprs:
        return []
    return rule_stats(decisions.select(exprs).row(0, named=True), schema, amount)


def rule_sums(schema: DecisionSchema, label: str, amount: str | None = None) -> list[pl.Expr]:
    """The sums the rule table is made of: added up over parts of a table, they give the
    whole table's (a cluster computes them per partition)."""
    bad = pl.col(label) == 1
    rules = schema.rules
    exprs: list[pl.Expr] = []
    for r in rules:
        fires = pl.col(r.column)
        if r.acts:
            alone = fires & (schema.rank_expr(skip=[r]) == schema.pass_rank)
        else:
            alone = fires & ~pl.col(FLAGGED)
        exprs += [
            fires.sum().alias(f"{r.column}|hits"),
            (fires & bad).sum().alias(f"{r.column}|bad"),
            alone.sum().alias(f"{r.column}|inc"),
            (alone & bad).sum().alias(f"{r.column}|incbad"),
        ]
        if amount:
            exprs.append(pl.col(amount).filter(fires & bad).sum().alias(f"{r.column}|amount"))
        exprs += [
            (fires & pl.col(o.column)).sum().alias(f"{r.column}|with|{o.column}")
            for o in rules
            if o.column != r.column
        ]
    return exprs


def rule_stats(
    row: dict[str, Any], schema: DecisionSchema, amount: str | None = None
) -> list[RuleStats]:
    """The rule table from the sums of `rule_sums`."""
    rules = schema.rules
    out = []
    for r in rules:
        hits, bad_hits = int(row[f"{r.column}|hits"]), int(row[f"{r.column}|bad"])
        overlap = {
            o.label: int(row[f"{r.column}|with|{o.column}"])
            for o in rules
            if o.column != r.column and row[f"{r.column}|with|{o.column}"]
        }
        out.append(
            RuleStats(
                r.label,
                r.action,
                "shadow" if r.shadow else "active",
                hits,
                bad_hits,
                wilson(bad_hits, hits),
                int(row[f"{r.column}|inc"]),
                int(row[f"{r.column}|incbad"]),
                overlap,
                float(row[f"{r.column}|amount"]) if amount else None,
            )
        )
    return out


def strategy_warnings(
    decisions: pl.DataFrame, loaded: LoadedStrategy, schema: DecisionSchema
) -> list[StrategyWarning]:
    """Rules that never fire, rules that change no decision, segments no row falls in."""
    checks = warning_sums(loaded, schema)
    if not checks:
        return []
    return warnings_from_sums(decisions.select(checks).row(0, named=True), loaded)


def warning_sums(loaded: LoadedStrategy, schema: DecisionSchema) -> list[pl.Expr]:
    """The counts the warnings read; like `rule_sums`, they add up over parts of a table."""
    checks: list[pl.Expr] = []
    for d in schema.rules:
        fires = pl.col(d.column)
        checks.append(fires.sum().alias(f"{d.label}|hits"))
        if d.acts:
            covered = schema.rank_expr(skip=[d]) <= d.rank
            checks.append((fires & ~covered).sum().alias(f"{d.label}|changes"))
    for g in loaded.strategy.segments:
        checks.append((pl.col(SEGMENT) == g.name).sum().alias(f"segment|{g.name}"))
    return checks


def warnings_from_sums(row: dict[str, Any], loaded: LoadedStrategy) -> list[StrategyWarning]:
    s = loaded.strategy
    warnings = []
    for i, r in enumerate(s.rules):
        if not r.enabled:
            continue
        where = loaded.where("rules", i)
        if row[f"{r.name}|hits"] == 0:
            warnings.append(StrategyWarning("never fires on this data", where))
        elif r.mode == "active" and row[f"{r.name}|changes"] == 0:
            warnings.append(
                StrategyWarning(
                    "changes no decision: every row it fires on is already flagged at least as "
                    f"severely ('{r.action}') by other rules or thresholds",
                    where,
                )
            )
    for i, g in enumerate(s.segments):
        if row[f"segment|{g.name}"] == 0:
            warnings.append(StrategyWarning("no row falls in it", loaded.where("segments", i)))
    return warnings
