"""`rules suggest` on a cluster: the same search and the same numbers as one machine.

Passes over the parts, each reading its part as `simulate --scheduler` does (`part_rows`):

1. the time column of every part, from which the client cuts the holdout and the search
   periods exactly as one machine does (`split_rows` on the whole column: the client holds
   one time per row, 8 bytes);
2. each part's search-window summary (`rules.window.summarise`: per-period label counts and
   the seeded samples, drawn by each row's position in the whole window), merged in order:
   the summary one machine makes of the whole table, from which the client searches
   (`rules.search.search_pool`);
3. each part's cells of the candidates' hits (`rules.pool_cells`), summed: every greedy
   step counts from them;
4. the holdout measurement (`distributed.rules.measure_holdout`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import scan_table
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.derived import derived_by
from riskctl.distributed.rules import measure_holdout
from riskctl.distributed.simulate import PartSpec, decisions_of, derived_spec, part_rows, plan
from riskctl.outcomes.coverage import label_coverage
from riskctl.rules.columns import Material
from riskctl.rules.folds import HoldoutSplit, fold_of, in_search, split_rows, times_of
from riskctl.rules.options import Options
from riskctl.rules.pool_cells import PoolCells
from riskctl.rules.search import attack_column, candidate_columns, search_pool, window_cells
from riskctl.rules.select import Chosen, choose_rules
from riskctl.rules.suggest import (
    Suggested,
    Suggestion,
    checked_request,
    measured,
    needs_time,
    new_rules,
)
from riskctl.rules.window import (
    SearchRows,
    WindowSummary,
    merge_summaries,
    shares,
    summarise,
    usable_labels,
)
from riskctl.simulation.cells import matured_expr
from riskctl.strategy.decisions import FLAGGED
from riskctl.strategy.load import LoadedStrategy

MATURED = "\x00matured"  # a name no data column has


@dataclass(frozen=True)
class WindowTask:
    """What a worker needs to find a part's search-window rows."""

    spec: PartSpec  # the strategy alone, carrying every column
    cut: str  # the holdout's first time
    edges: np.ndarray  # the search periods' first times
    folds: int


def part_times(part: Path, spec: PartSpec) -> pl.Series:
    """A part's times as its rows are read (e.g. dates written as text, parsed)."""
    time = needs_time(spec.roles.time)
    return part_rows(part, spec)[0].lazy().select(time).collect().to_series()


def part_schema(part: Path, spec: PartSpec) -> pl.Schema:
    """The columns a part's rows have once read (with any detector's score)."""
    return part_rows(part, spec)[0].lazy().collect_schema()


def search_part(part: Path, task: WindowTask, offset: int = 0) -> SearchRows:
    """A part's search-window rows, read and decided as one machine reads the table."""
    spec = task.spec
    rows, compiled = part_rows(part, spec)
    roles = rows.roles
    decided = decisions_of(rows, compiled[0], [])
    matured = decided.with_columns(matured_expr(roles, spec.cutoffs[0]).alias(MATURED))[MATURED]
    coverage = label_coverage(decided, roles.label, matured, roles.history)
    label = usable_labels(coverage, decided[roles.label])
    t = times_of(rows.table[needs_time(roles.time)])
    search = in_search(t, task.cut)
    flagged = decided[FLAGGED].to_numpy()
    fold = fold_of(t, task.cut, task.edges)[search]
    kept = rows.table.filter(pl.Series(search))
    return SearchRows(kept, label[search], ~flagged[search], fold, offset)


def summary_part(
    part: Path,
    task: WindowTask,
    columns: list[str],
    offset: int,
    share: tuple[float, float],
    seed: int,
) -> WindowSummary:
    return summarise(search_part(part, task, offset), columns, share, task.folds, seed)


def cells_part(part: Path, task: WindowTask, loaded: LoadedStrategy, whens: list[str]) -> PoolCells:
    return window_cells(search_part(part, task), loaded, whens)


@dataclass(frozen=True)
class ClusterSearch:
    split: HoldoutSplit
    chosen: list[Chosen]
    material: Material
    schema: pl.Schema


def suggest_on_cluster(
    strategy: Path, data: Path, opts: Options, options: ClusterOptions
) -> Suggestion:
    """`suggest_rules` with every pass over the rows on the cluster at `options`."""
    loaded = checked_request(strategy, opts)
    roles_from = (opts.label, opts.time, opts.amount)
    derive = derived_spec([loaded], data)
    with (
        derived_by(derive, data, None, Path(str(data)).parent, options) as read,
        Cluster(options) as cluster,
    ):
        p = plan(cluster, [loaded], read, roles_from, [], raw=data)
        found = _search(cluster, p.parts, replace(p.spec, carry=_columns(p.parts[0])), opts)
        rules = new_rules(loaded, found.chosen, opts.action)
        attack = attack_column(found.schema, opts)
        cut = found.split.holdout_from
        held = measure_holdout(cluster, read, loaded, rules, cut, roles_from, attack)
    existing = {r.name for r in loaded.strategy.rules}
    mixes = held.attacks or [{} for _ in rules]
    suggested = [
        Suggested.of(rule, c, change, stats, existing, mix)
        for rule, c, change, stats, mix in zip(
            rules, found.chosen, held.changes, held.stats, mixes, strict=True
        )
    ]
    split, material = found.split, found.material
    return measured(Suggestion(
        loaded, opts, split, suggested, held.together, material.warnings, material.columns,
        int(split.search.sum()), int(split.holdout.sum()),
    ))  # fmt: skip


def _columns(part: Path) -> list[str]:
    return scan_table(part).collect_schema().names()


def _search(cluster: Cluster, parts: list[Path], spec: PartSpec, opts: Options) -> ClusterSearch:
    """The split, the summary and the greedy choice, every pass over the rows on the cluster."""
    times = cluster.map(part_times, [(part, spec) for part in parts], "times", per_part=True)
    split = split_rows(pl.concat(times), opts.holdout, opts.holdout_from, opts.folds)
    task = WindowTask(spec, split.holdout_from, split.edges, opts.folds)
    schema = cluster.map(part_schema, [(parts[0], spec)], "schema", per_part=True)[0]
    ids = [c for d in spec.detectors.values() for c in d.ids]
    columns = candidate_columns(schema, spec.roles, ids, opts)
    ends = np.cumsum([0, *(len(t) for t in times)])
    found = [int(split.search[a:b].sum()) for a, b in itertools.pairwise(ends)]
    offsets = np.cumsum([0, *found])[:-1]
    share = shares(int(split.search.sum()))
    calls = [
        (part, task, columns, int(o), share, opts.seed)
        for part, o in zip(parts, offsets, strict=True)
    ]
    summary = merge_summaries(cluster.map(summary_part, calls, "search", per_part=True))
    loaded = spec.loaded[0]
    pool, material = search_pool(summary, columns, loaded, opts, split.holdout_from)
    whens = [(part, task, loaded, [c.when for c in pool]) for part in parts]
    cells = PoolCells.merged(cluster.map(cells_part, whens, "count", per_part=True))
    count = cells.count(opts.folds)
    chosen = choose_rules(
        pool, count, summary.good, opts.budget_fpr, opts.max_rules, opts.min_folds
    )
    return ClusterSearch(split, chosen, material, schema)
