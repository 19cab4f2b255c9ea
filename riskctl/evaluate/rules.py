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
from riskctl.strategy.engine import FLAGGED, SEGMENT
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


def _deciders(loaded: LoadedStrategy, columns: list[str]) -> dict[str, int]:
    """Every acting decider column -> the severity rank of the action it gives."""
    s = loaded.strategy
    rank = {a: i for i, a in enumerate(s.actions)}
    out = {f"rule:{r.name}": rank[r.action] for r in s.rules if r.enabled and r.mode == "active"}
    for column in columns:
        if column.startswith("threshold:"):
            out[column] = rank[column.split(":")[1]]
    return out


def _others_rank(deciders: dict[str, int], skip: str, pass_rank: int) -> pl.Expr:
    """Per row, the most severe action the deciders other than `skip` give."""
    exprs = [
        pl.when(pl.col(c)).then(r).otherwise(pass_rank) for c, r in deciders.items() if c != skip
    ]
    return pl.min_horizontal(exprs) if exprs else pl.lit(pass_rank)


def rule_table(
    decisions: pl.DataFrame, loaded: LoadedStrategy, label: str, amount: str | None = None
) -> list[RuleStats]:
    s = loaded.strategy
    pass_rank = len(s.actions) - 1
    deciders = _deciders(loaded, decisions.columns)
    bad = pl.col(label) == 1
    rules = [r for r in s.rules if r.enabled]
    exprs: list[pl.Expr] = []
    for r in rules:
        fires = pl.col(f"rule:{r.name}")
        if r.mode == "active":
            alone = fires & (_others_rank(deciders, f"rule:{r.name}", pass_rank) == pass_rank)
        else:
            alone = fires & ~pl.col(FLAGGED)
        exprs += [
            fires.sum().alias(f"{r.name}|hits"),
            (fires & bad).sum().alias(f"{r.name}|bad"),
            alone.sum().alias(f"{r.name}|inc"),
            (alone & bad).sum().alias(f"{r.name}|incbad"),
        ]
        if amount:
            exprs.append(pl.col(amount).filter(fires & bad).sum().alias(f"{r.name}|amount"))
        for other in rules:
            if other.name != r.name:
                exprs.append(
                    (fires & pl.col(f"rule:{other.name}"))
                    .sum()
                    .alias(f"{r.name}|with|{other.name}")
                )
    if not exprs:
        return []
    row = decisions.select(exprs).row(0, named=True)
    out = []
    for r in rules:
        hits, bad_hits = int(row[f"{r.name}|hits"]), int(row[f"{r.name}|bad"])
        overlap = {
            o.name: int(row[f"{r.name}|with|{o.name}"])
            for o in rules
            if o.name != r.name and row[f"{r.name}|with|{o.name}"]
        }
        out.append(
            RuleStats(
                r.name,
                r.action,
                r.mode,
                hits,
                bad_hits,
                wilson(bad_hits, hits),
                int(row[f"{r.name}|inc"]),
                int(row[f"{r.name}|incbad"]),
                overlap,
                float(row[f"{r.name}|amount"]) if amount else None,
            )
        )
    return out


def strategy_warnings(decisions: pl.DataFrame, loaded: LoadedStrategy) -> list[StrategyWarning]:
    """Rules that never fire, rules that change no decision, segments no row falls in."""
    s = loaded.strategy
    rank = {a: i for i, a in enumerate(s.actions)}
    pass_rank = len(s.actions) - 1
    deciders = _deciders(loaded, decisions.columns)
    warnings = []
    checks: list[pl.Expr] = []
    for r in s.rules:
        if not r.enabled:
            continue
        fires = pl.col(f"rule:{r.name}")
        checks.append(fires.sum().alias(f"{r.name}|hits"))
        if r.mode == "active":
            covered = _others_rank(deciders, f"rule:{r.name}", pass_rank) <= rank[r.action]
            checks.append((fires & ~covered).sum().alias(f"{r.name}|changes"))
    for g in s.segments:
        checks.append((pl.col(SEGMENT) == g.name).sum().alias(f"segment|{g.name}"))
    if not checks:
        return []
    row = decisions.select(checks).row(0, named=True)
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
