"""The holdout measurement of `rules suggest` on a cluster: each partition's holdout rows
(time at or after the cut) decided by the strategy with the suggested rules (one at a time,
all together, and in shadow mode) and by the strategy as it is, reduced to simulate's cells
(`simulation.simulate.cell_frame`) and to per-attack counts (`rules.holdout.attack_counts`);
the parts' cells, summed (`merge_cells`), give through `simulations_from_cells` exactly the
numbers one machine gives on the same holdout rows. As for `simulate --scheduler`, holdout
rows with no usable label (whose three-way estimates need the rows) are refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from riskctl.distributed.cluster import Cluster
from riskctl.distributed.limits import all_seen
from riskctl.distributed.simulate import PartSpec, decisions_of, merge_cells, part_rows, plan
from riskctl.rules.folds import at_or_after
from riskctl.rules.holdout import (
    MarginalChange,
    acting,
    attack_counts,
    attack_dict,
    change_of,
    with_rules,
)
from riskctl.simulation.cells import Cells
from riskctl.simulation.roles import Roles
from riskctl.simulation.rows import Rows
from riskctl.simulation.rules import RuleStats
from riskctl.simulation.simulate import cell_frame, simulations_from_cells
from riskctl.simulation.strategy_metrics import metrics_from_cells
from riskctl.strategy.decisions import FLAGGED
from riskctl.strategy.engine import CompiledStrategy
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Rule


@dataclass(frozen=True)
class Holdout:
    """What `rules suggest` reports from the holdout window."""

    changes: list[MarginalChange]  # per rule: the strategy with it acting against the strategy
    together: MarginalChange | None  # all of them acting
    stats: list[RuleStats]  # per rule: its row of the shadow run's rule table
    attacks: list[dict[str, dict[str, int]]] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class HoldoutTask:
    """Everything a worker needs for one part: the strategies (variants first, the strategy
    as it is last), the cut, and the rules whose attack mix is counted."""

    spec: PartSpec
    cut: str
    rules: list[Rule]
    attack: str | None


def variants(original: LoadedStrategy, rules: list[Rule]) -> list[LoadedStrategy]:
    """Each rule acting alone (the others in shadow mode, as written), all acting, all in
    shadow mode; then the strategy as it is."""
    shadow = [r.model_copy(update={"mode": "shadow"}) for r in rules]
    ones = [with_rules(original, acting(rules, k)) for k in range(len(rules))]
    return [*ones, with_rules(original, acting(rules)), with_rules(original, shadow), original]


def holdout_part(part: Path, task: HoldoutTask) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """One part's holdout rows: per variant, its cells paired with the strategy's; per rule,
    the attack counts of the rows it newly stops."""
    spec = task.spec
    rows, compiled = part_rows(part, spec)
    time = spec.roles.time
    assert time is not None
    lf = rows.lazy()
    table = lf.filter(at_or_after(time, lf.collect_schema()[time], task.cut)).collect()
    held = Rows(table.lazy(), table.columns, part, spec.roles, {})
    held.part, held.scores = True, rows.scores
    base, cutoff = compiled[-1], spec.cutoffs[-1]
    cells = [
        cell_frame(held, [c, base], [cut, cutoff], None)
        for c, cut in zip(compiled[:-1], spec.cutoffs[:-1], strict=True)
    ]
    mixes: list[pl.DataFrame] = []
    if task.attack is not None:
        flagged = decisions_of(held, base, [])[FLAGGED].to_numpy()
        label = spec.roles.label
        mixes = [attack_counts(table, flagged, r, task.attack, label) for r in task.rules]
    return cells, mixes


def _all_seen(frame: pl.DataFrame, base: CompiledStrategy, roles: Roles) -> None:
    """Holdout rows with no usable label need the three-way estimates, from the rows: one
    machine only, as for `simulate --scheduler`."""
    counts = metrics_from_cells(Cells(frame, roles, []), "s1_", base.schema, base.strategy).counts
    all_seen(int(counts.unlabelled), int(counts.blocked), "run rules suggest")


def measure_holdout(
    cluster: Cluster,
    data: Path,
    original: LoadedStrategy,
    rules: list[Rule],
    cut: str,
    roles_from: tuple[str | None, str | None, str | None],
    attack: str | None = None,
) -> Holdout:
    """`rules suggest`'s holdout numbers for `rules` added to `original`, on the rows of
    the partitioned `data` at or after `cut`, counted on the cluster."""
    loaded = variants(original, rules)
    p = plan(cluster, loaded, data, roles_from, [])
    carry = [attack] if attack is not None else []
    spec = PartSpec(
        p.spec.loaded, p.spec.detectors, p.spec.roles, [], p.spec.cutoffs, carry, p.spec.first
    )
    task = HoldoutTask(spec, cut, rules, attack)
    done = cluster.map(holdout_part, [(part, task) for part in p.parts], "rules", per_part=True)
    stub = Rows(pl.LazyFrame(), [], data, spec.roles, {})
    results = []
    for i, c in enumerate(p.compiled[:-1]):
        merged = merge_cells([cells[i] for cells, _ in done])
        if i == 0:
            _all_seen(merged, p.compiled[-1], spec.roles)
        results.append(simulations_from_cells(merged, [c, p.compiled[-1]], stub, None))
    changes = []
    for sims, comparison in results:
        assert comparison is not None
        changes.append(change_of(comparison, int(sims[1].metrics.counts.days or 0)))
    n = len(rules)
    shadow = {s.name: s for s in results[n + 1][0][0].rules}
    attacks = []
    if attack is not None:
        for k in range(n):
            counts = pl.concat([mixes[k] for _, mixes in done], how="vertical_relaxed")
            summed = counts.group_by(attack).agg(pl.col("rows").sum(), pl.col("bad").sum())
            attacks.append(attack_dict(summed, attack))
    rows = int(results[-1][0][1].metrics.counts.rows)
    return Holdout(
        changes[:n],
        changes[n] if rules else None,
        [shadow[r.name] for r in rules],
        attacks,
        rows,
    )
