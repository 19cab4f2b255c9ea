"""The rule table, and warnings about rules and segments that do nothing on this data.

Per rule: hits, bad hits, precision, incremental catches (bad rows no other rule or
threshold flags; for a shadow rule, bad rows the strategy misses that it would catch), and
overlap with the other rules. Shadow rules are included and marked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from riskctl.errors import Location
from riskctl.metrics.intervals import Proportion, wilson
from riskctl.simulation.cells import Cells, ranks
from riskctl.strategy.decisions import DecisionSchema
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


def rule_table(cells: Cells, side: str, schema: DecisionSchema) -> list[RuleStats]:
    """Per rule, on matured rows: hits, bad hits, precision (over hits with a label),
    incremental catches, overlap."""
    mature = cells.filter(cells.matured(side))
    bits = mature.bits(side, schema)
    n, bad = mature.rows, mature.label == 1
    flagged = ranks(bits, schema) != schema.pass_rank
    index = {d.column: i for i, d in enumerate(schema.deciders)}
    out = []
    for r in schema.rules:
        i = index[r.column]
        fires = bits[:, i]
        if r.acts:
            alone = fires & (ranks(bits, schema, skip=i) == schema.pass_rank)
        else:
            alone = fires & ~flagged
        overlap = {
            o.label: int(n[fires & bits[:, index[o.column]]].sum())
            for o in schema.rules
            if o.column != r.column
        }
        hits, bad_hits = int(n[fires].sum()), int(n[fires & bad].sum())
        labelled = int(n[fires & (mature.label >= 0)].sum())
        out.append(
            RuleStats(
                r.label,
                r.action,
                "shadow" if r.shadow else "active",
                hits,
                bad_hits,
                wilson(bad_hits, labelled),
                int(n[alone].sum()),
                int(n[alone & bad].sum()),
                {k: v for k, v in overlap.items() if v},
                float(mature.amount[fires & bad].sum()) if cells.roles.amount else None,
            )
        )
    return out


def strategy_warnings(
    cells: Cells, side: str, loaded: LoadedStrategy, schema: DecisionSchema
) -> list[StrategyWarning]:
    """Rules that never fire, rules that change no decision, segments no row falls in."""
    s = loaded.strategy
    bits = cells.bits(side, schema)
    n = cells.rows
    index = {d.label: i for i, d in enumerate(schema.deciders) if d.kind == "rule"}
    warnings = []
    for i, r in enumerate(s.rules):
        if not r.enabled:
            continue
        where = loaded.where("rules", i)
        j = index[r.name]
        fires = bits[:, j]
        covered = ranks(bits, schema, skip=j) <= schema.deciders[j].rank
        if n[fires].sum() == 0:
            warnings.append(StrategyWarning("never fires on this data", where))
        elif r.mode == "active" and n[fires & ~covered].sum() == 0:
            warnings.append(
                StrategyWarning(
                    "changes no decision: every row it fires on is already flagged at least as "
                    f"severely ('{r.action}') by other rules or thresholds",
                    where,
                )
            )
    segment = cells.segment(side)
    for i, g in enumerate(s.segments):
        if n[segment == g.name].sum() == 0:
            warnings.append(StrategyWarning("no row falls in it", loaded.where("segments", i)))
    return warnings
