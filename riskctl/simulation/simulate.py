"""Applying a strategy (and a baseline) to labelled history.

The data is read once, lazily and streaming, decided once per strategy, and reduced to
cells (see `cells.py`) from which every metric, the rule table, warnings, daily series,
segment breakdowns and the comparison come exactly. Rows are materialised only for the
consumers that need them (`Simulation.decisions`, `SimulationRun.table`: reports, tuning,
sweeps, written decisions), on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.digest import take
from riskctl.data.io import scan_table
from riskctl.errors import UsageError
from riskctl.features.stored import with_stored_features
from riskctl.model.detector import Detector
from riskctl.outcomes.coverage import Coverage, history_columns, label_coverage
from riskctl.simulation import views
from riskctl.simulation.cells import (
    Cells,
    cell_query,
    decided_lazy,
    groups_of,
    matured_expr,
    maturity_cutoff,
    side_of,
    sorted_cells,
)
from riskctl.simulation.compare import Comparison, compare_cells
from riskctl.simulation.evaluation_rows import (
    EvaluationRows,
    check_choice,
    choose_rows,
    named_detectors,
)
from riskctl.simulation.pins import check_pins
from riskctl.simulation.role_resolution import bad_value, coded_label, load_detectors, resolve_roles
from riskctl.simulation.rows import Rows, read_rows
from riskctl.simulation.rules import RuleStats, StrategyWarning, rule_table, strategy_warnings
from riskctl.simulation.strategy_metrics import (
    Roles,
    StrategyMetrics,
    active_days,
    daily_from_cells,
    matured,
    metrics_from_cells,
)
from riskctl.simulation.unseen import change_unseen, with_unseen
from riskctl.strategy.decisions import DECISION_COLUMNS, SEGMENT, DecisionSchema
from riskctl.strategy.diagnose import condition_failure
from riskctl.strategy.engine import CompiledStrategy, compile_strategy, decide
from riskctl.strategy.load import LoadedStrategy, load_strategy
from riskctl.strategy.measurement import measured_as
from riskctl.strategy.schema import History


@dataclass(frozen=True)
class Simulation:
    loaded: LoadedStrategy
    schema: DecisionSchema  # which columns of `decisions` are rules and thresholds
    metrics: StrategyMetrics
    rules: list[RuleStats] = field(default_factory=list)
    warnings: list[StrategyWarning] = field(default_factory=list)
    by: dict[str, dict[str, StrategyMetrics]] = field(default_factory=dict)
    daily: pl.DataFrame = field(default_factory=pl.DataFrame)
    compiled: CompiledStrategy | None = field(default=None, repr=False)
    rows: Rows | None = field(default=None, repr=False)
    columns: list[str] = field(default_factory=list, repr=False)

    @cached_property
    def decisions(self) -> pl.DataFrame:
        """One row per input row, in input order: the kept columns, action, flagged,
        decided_by, segment and the hit columns (decided on first use)."""
        assert self.compiled is not None and self.rows is not None
        return decided_rows(self.compiled, self.rows, self.columns)

    @cached_property
    def coverage(self) -> Coverage:
        """Each row's label status (labelled, unlabelled, immature, blocked) and weight."""
        assert self.rows is not None
        roles, days = self.rows.roles, self.loaded.strategy.label_maturity_days
        keep = matured(self.decisions, roles, days)
        return label_coverage(self.decisions, roles.label, keep, roles.history)


@dataclass(frozen=True)
class SimulationRun:
    data_path: Path
    data_sha256: str
    roles: Roles
    candidate: Simulation
    baseline: Simulation | None
    comparison: Comparison | None
    detectors: dict[str, Detector]
    rows: Rows = field(repr=False)
    ids: list[str] = field(default_factory=list)  # id columns kept in `table` for examples
    history_path: Path | None = None  # earlier rows derived features read as context
    evaluation_rows: EvaluationRows | None = None  # rows kept against a detector's split

    @property
    def table(self) -> pl.DataFrame:
        """The input's used columns, with any score columns a detector added."""
        return self.rows.table

    @cached_property
    def matured(self) -> pl.Series:
        """Rows whose label counts: present, and old enough vs the newest row (candidate's)."""
        return pl.Series("matured", self.coverage.usable, dtype=pl.Boolean)

    @property
    def coverage(self) -> Coverage:
        """Each row's label status (labelled, unlabelled, immature, blocked) and weight."""
        return self.candidate.coverage

    def metrics(self) -> pl.DataFrame:
        """One row per metric: candidate (and baseline) value with its 95% interval, and
        with a baseline the paired change (`candidate`, `candidate_low`, ... `change_high`)."""
        sides = {"candidate": self.candidate.metrics}
        if self.baseline is not None:
            sides["baseline"] = self.baseline.metrics
        return views.metrics_frame(sides, self.comparison.delta if self.comparison else None)

    def rule_table(self, side: str = "candidate") -> pl.DataFrame:
        """One row per rule of the candidate's (or `side="baseline"`) strategy."""
        return views.rules_frame(self._side(side).rules)

    def segments(self, side: str = "candidate") -> pl.DataFrame:
        """The `by=` breakdown: one row per column, value and metric."""
        return views.segments_frame(self._side(side).by)

    def swap_table(self) -> pl.DataFrame:
        """With a baseline: rows (and amount) per baseline flagged, candidate flagged, label."""
        cells = self.comparison.swap_set if self.comparison else []
        return pl.DataFrame([c.to_dict() for c in cells]) if cells else pl.DataFrame()

    def _side(self, side: str) -> Simulation:
        if side not in ("candidate", "baseline") or (side == "baseline" and not self.baseline):
            raise UsageError(f"side must be candidate or baseline (with one), not {side!r}")
        return self.baseline if side == "baseline" and self.baseline else self.candidate


def collect_decided(
    lf: pl.LazyFrame, loaded: list[LoadedStrategy], rows: Any, streaming: bool = False
) -> Any:
    """`lf` (rows decided by `loaded`) collected; a condition that fails on the rows is
    named by its rule."""
    try:
        return lf.collect(engine="streaming") if streaming else lf.collect()
    except pl.exceptions.PolarsError as exc:  # name the rule whose condition fails on the rows
        raise condition_failure(loaded, rows, exc) from None


def kept_columns(loaded: LoadedStrategy, roles: Roles, by: list[str] | None) -> list[str]:
    """The input columns `Simulation.decisions` keeps beside the decision columns."""
    cols = [c for c in (roles.label, roles.time, roles.amount) if c]
    cols += [c for c in history_columns(roles.history) if c not in cols]
    cols += [c for c in loaded.strategy.score_columns() if c not in cols]
    return cols + [c for c in by or [] if c not in cols and c != SEGMENT]


def decided_rows(compiled: CompiledStrategy, rows: Rows, columns: list[str]) -> pl.DataFrame:
    """One row per row of `rows`, in order: `columns`, action, flagged, decided_by, segment
    and the hit columns of `compiled`."""
    table = rows.table.lazy()
    decided = collect_decided(decide(compiled, table), [compiled.loaded], table)
    return decided.select([*columns, *DECISION_COLUMNS, *compiled.schema.hit_columns])


def _side(
    side: str, compiled: CompiledStrategy, cells: Cells, rows: Rows, by: list[str] | None
) -> Simulation:
    """One strategy's results from the cells."""
    loaded, schema, strategy = compiled.loaded, compiled.schema, compiled.strategy
    groups: dict[str, dict[str, StrategyMetrics]] = {}
    days = active_days(cells)
    for column in by or []:
        # every value with rows: alert rate and review load count rows whose label has not
        # matured (their label metrics are then n/a)
        values = cells.segment(side) if column == SEGMENT else cells.values(column)
        groups[column] = {
            name: metrics_from_cells(cells.filter(mask), side, schema, strategy, days)
            for name, mask in groups_of(values, cells.rows)
        }
    sim = Simulation(
        loaded,
        schema,
        metrics_from_cells(cells, side, schema, strategy, days),
        rule_table(cells, side, schema),
        strategy_warnings(cells, side, loaded, schema),
        groups,
        daily_from_cells(cells, side, schema, strategy),
        compiled,
        rows,
        kept_columns(loaded, rows.roles, by),
    )
    return with_unseen(sim)


def _simulate(
    rows: Rows, compiled: list[CompiledStrategy], by: list[str] | None
) -> tuple[list[Simulation], Comparison | None]:
    """Decide every strategy in one pass over the rows; everything else from the cells."""
    lf = rows.lazy()
    cutoffs = [maturity_cutoff(lf, rows.roles, c.strategy.label_maturity_days) for c in compiled]
    return simulations_from_cells(cell_frame(rows, compiled, cutoffs, by), compiled, rows, by)


def simulate_rows(
    rows: Rows, compiled: list[CompiledStrategy], by: list[str] | None = None
) -> tuple[list[Simulation], Comparison | None]:
    """Strategies already compiled, on rows already read (e.g. a holdout slice): their
    results, and with two of them the first against the second."""
    return _simulate(rows, compiled, by)


def cell_frame(
    rows: Rows, compiled: list[CompiledStrategy], cutoffs: list[Any], by: list[str] | None
) -> pl.DataFrame:
    """The sorted, checked cells of `rows` decided by every strategy; `cutoffs`: per
    strategy, the newest time whose label has matured. Cells of a table's parts, summed,
    are the cells of the table (a cluster computes them per partition)."""
    sides = [(f"s{i}_", c) for i, c in enumerate(compiled)]
    matured_by_side = {
        side: matured_expr(rows.roles, cutoff)
        for (side, _), cutoff in zip(sides, cutoffs, strict=True)
    }
    by_columns, lf = [c for c in dict.fromkeys(by or []) if c != SEGMENT], rows.lazy()
    keys = [side_of(s, c) for s, c in sides]
    query = cell_query(
        decided_lazy(lf, sides), keys, rows.roles, matured_by_side, by_columns, rows.scores
    )
    frame = sorted_cells(collect_decided(query, [c.loaded for c in compiled], lf, streaming=True))
    rows.verify(frame)
    return frame


def simulations_from_cells(
    frame: pl.DataFrame, compiled: list[CompiledStrategy], rows: Rows, by: list[str] | None
) -> tuple[list[Simulation], Comparison | None]:
    """Every strategy's results, and their comparison, from the sorted cell frame."""
    sides = [(f"s{i}_", c) for i, c in enumerate(compiled)]
    cells = Cells(frame, rows.roles, [c for c in dict.fromkeys(by or []) if c != SEGMENT])
    sims = [_side(side, c, cells, rows, by) for side, c in sides]
    comparison = None
    if len(sims) == 2:
        (cs, cand), (bs, base) = sides
        comparison = compare_cells(
            cells, (bs, base.schema), (cs, cand.schema), sims[1].metrics, sims[0].metrics
        )
        comparison = change_unseen(comparison, sims[1], sims[0])
    return sims, comparison


def simulate_one(
    loaded: LoadedStrategy, table: pl.DataFrame, roles: Roles, by: list[str] | None = None
) -> Simulation:
    """One strategy on a table already in memory (e.g. a tuning slice)."""
    rows = Rows(table.lazy(), table.columns, "the table", roles, {})
    compiled = compile_strategy(loaded, table.schema)
    return _simulate(rows, [compiled], by)[0][0]


def run_simulation(
    candidate: Path,
    data: Path,
    baseline: Path | None = None,
    label: str | None = None,
    time: str | None = None,
    amount: str | None = None,
    by: list[str] | None = None,
    data_sha256: str | None = None,
    carry: list[str] | None = None,
    history: Path | None = None,
    production: History | None = None,
    measure_as_baseline: bool = False,
    rows: str | None = None,
) -> SimulationRun:
    """Apply the candidate (and baseline) strategy to `data`: decisions, metrics, rule
    table, comparison. `carry`: further columns the caller needs in `run.table` (e.g. the
    features a report explains). Raw events get the detectors' derived features, with
    `history` as earlier context. `production`: how production chose which rows got an
    outcome (default: the strategy's `history:` section). `measure_as_baseline`: the
    candidate's decisions measured with the baseline's measurement settings (see
    `riskctl.strategy.measurement`), to judge the baseline's guardrails. `rows`: test,
    not-train (default) or all, see `riskctl.simulation.evaluation_rows`."""
    digest = take(data)  # hashed beside everything below (maybe begun at start-up)
    base = load_strategy(baseline) if baseline else None
    cand = measured_candidate(load_strategy(candidate), base, measure_as_baseline)
    loaded = [cand, *([base] if base else [])]
    lf = scan_table(data)
    columns = lf.collect_schema().names()
    # whose roles (label, bad, time, amount) speak first: the baseline's when measuring its way
    speaks = loaded[::-1] if measure_as_baseline else loaded
    detectors = load_detectors(speaks, columns)
    for det in detectors.values():
        lf = with_stored_features(lf, det.path, det.manifest, history)
    roles = resolve_roles(speaks, detectors, label, time, amount, production)
    lf, chosen = choose_rows(
        lf, named_detectors(loaded, detectors, data), check_choice(rows), digest.result, data
    )
    lf = coded_label(lf, roles.label, bad_value(speaks, detectors, roles.label), data)
    table, compiled, ids = read_rows(lf, data, loaded, detectors, roles, by, carry)
    sims, comparison = _simulate(table, compiled, by)
    check_pins(data, digest.result(), [(data_sha256, "--data-sha256")], loaded)
    return SimulationRun(
        data,
        digest.result(),
        roles,
        sims[0],
        sims[1] if base else None,
        comparison,
        detectors,
        table,
        ids,
        history,
        chosen,
    )


def measured_candidate(
    cand: LoadedStrategy, base: LoadedStrategy | None, as_baseline: bool
) -> LoadedStrategy:
    """The candidate, or with `as_baseline` its decisions with the baseline's measurement
    settings (label, bad, time, amount, costs, reviews, maturity, history)."""
    if not as_baseline or base is None:
        return cand
    return replace(cand, strategy=measured_as(cand.strategy, base.strategy))
