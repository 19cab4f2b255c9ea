"""Applying a strategy (and a baseline) to labelled history."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import require_columns, scan_table, sha256_file
from riskctl.errors import ConfigError, DataError
from riskctl.evaluate.compare import Comparison, compare
from riskctl.evaluate.metrics import (
    Roles,
    StrategyMetrics,
    compute_metrics,
    daily_metrics,
    kept,
    matured,
)
from riskctl.evaluate.rules import RuleStats, StrategyWarning, rule_table, strategy_warnings
from riskctl.model.detector import Detector, load_detector
from riskctl.model.score import score_frame
from riskctl.strategy.decisions import DECISION_COLUMNS, SEGMENT, DecisionSchema
from riskctl.strategy.engine import compile_strategy, condition_columns, decide
from riskctl.strategy.load import LoadedStrategy, load_strategy


@dataclass(frozen=True)
class Simulation:
    loaded: LoadedStrategy
    decisions: pl.DataFrame  # one row per input row, in input order
    schema: DecisionSchema  # which columns of `decisions` are rules and thresholds
    metrics: StrategyMetrics
    rules: list[RuleStats] = field(default_factory=list)
    warnings: list[StrategyWarning] = field(default_factory=list)
    by: dict[str, dict[str, StrategyMetrics]] = field(default_factory=dict)
    daily: pl.DataFrame = field(default_factory=pl.DataFrame)


@dataclass(frozen=True)
class SimulationRun:
    data_path: Path
    data_sha256: str
    roles: Roles
    table: pl.DataFrame  # the input, with any score columns a detector added
    candidate: Simulation
    baseline: Simulation | None
    comparison: Comparison | None
    detectors: dict[str, Detector]
    matured: pl.Series  # rows whose label counts (old enough vs the newest row)
    ids: list[str] = field(default_factory=list)  # id columns kept in `table` for examples


def resolve_roles(
    loaded: list[LoadedStrategy],
    detectors: dict[str, Detector],
    label: str | None,
    time: str | None,
    amount: str | None,
) -> Roles:
    """Flags win, then the strategy's `label:`/`time:`, then a detector's manifest."""

    def pick(flag: str | None, attr: str) -> str | None:
        if flag:
            return flag
        for ls in loaded:
            if getattr(ls.strategy, attr):
                return getattr(ls.strategy, attr)
        for det in detectors.values():
            if getattr(det, attr, None):
                return getattr(det, attr)
        return None

    for ls in loaded:  # detectors named by the strategies speak for roles even when unused
        for column in ls.strategy.detectors:
            path = ls.detector_path(column)
            if column not in detectors and (path / "manifest.json").is_file():
                detectors = {**detectors, column: load_detector(path)}
    chosen_label = pick(label, "label")
    if chosen_label is None:
        raise ConfigError("no label column", hint="pass --label or set `label:` in the strategy")
    return Roles(chosen_label, pick(time, "time"), amount or pick(None, "amount"))


def _load_detectors(loaded: list[LoadedStrategy], columns: list[str]) -> dict[str, Detector]:
    """Detectors for the score columns the data lacks, each loaded once."""
    detectors: dict[str, Detector] = {}
    for ls in loaded:
        for column, _ in ls.strategy.detectors.items():
            if column in columns or column in detectors:
                continue
            path = ls.detector_path(column)
            if not path.exists():
                raise ConfigError(
                    f"detector for '{column}' not found at {path}",
                    ls.where("detectors", column),
                    hint="train it with `riskctl train`, or score the data first",
                )
            detectors[column] = load_detector(path)
    return detectors


def simulate_one(
    loaded: LoadedStrategy, table: pl.DataFrame, roles: Roles, by: list[str] | None = None
) -> Simulation:
    compiled = compile_strategy(loaded, table.schema)
    try:
        decided = decide(compiled, table.lazy()).collect()
    except pl.exceptions.PolarsError as exc:
        raise DataError(
            f"{loaded.path}: cannot apply the strategy to this data: {str(exc).splitlines()[0]}"
        ) from None
    keep_cols = [c for c in (roles.label, roles.time, roles.amount) if c]
    keep_cols += [c for c in loaded.strategy.score_columns() if c not in keep_cols]
    keep_cols += [c for c in by or [] if c not in keep_cols and c != SEGMENT]
    decisions = decided.select([*keep_cols, *DECISION_COLUMNS, *compiled.schema.hit_columns])
    strategy = loaded.strategy
    keep = matured(decisions, roles, strategy.label_maturity_days)
    mature = kept(decisions, keep)
    groups: dict[str, dict[str, StrategyMetrics]] = {}
    for column in by or []:
        values = mature[column].cast(pl.String).fill_null("(none)")
        groups[column] = {
            value: compute_metrics(
                mature.filter(values == value),
                strategy,
                roles,
                keep=pl.Series([True] * int((values == value).sum())),
            )
            for value in sorted(values.unique().to_list())
        }
    return Simulation(
        loaded,
        decisions,
        compiled.schema,
        compute_metrics(decisions, strategy, roles, keep),
        rule_table(mature, compiled.schema, roles.label, roles.amount),
        strategy_warnings(decisions, loaded, compiled.schema),
        groups,
        daily_metrics(mature, strategy, roles),
    )


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
) -> SimulationRun:
    """Apply the candidate (and baseline) strategy to `data`: decisions, metrics, rule
    table, comparison. `carry`: further columns the caller needs in `run.table` (e.g. the
    features a report explains)."""
    cand = load_strategy(candidate)
    base = load_strategy(baseline) if baseline else None
    loaded = [cand, *([base] if base else [])]
    lf = scan_table(data)
    digest = sha256_file(data)
    _check_pins(data, digest, [(data_sha256, "--data-sha256")], cand)
    columns = lf.collect_schema().names()
    detectors = _load_detectors(loaded, columns)
    roles = resolve_roles(loaded, detectors, label, time, amount)
    table, ids = _read_table(lf, data, loaded, detectors, roles, by, carry)
    cand_sim = simulate_one(cand, table, roles, by)
    base_sim = simulate_one(base, table, roles, by) if base else None
    comparison = None
    keep = matured(table, roles, cand.strategy.label_maturity_days)
    if base_sim is not None:
        comparison = compare(
            base_sim.decisions, cand_sim.decisions, keep, roles, base_sim.metrics, cand_sim.metrics
        )
    return SimulationRun(
        data, digest, roles, table, cand_sim, base_sim, comparison, detectors, keep, ids
    )


def _check_pins(
    data: Path, digest: str, pins: list[tuple[str | None, str]], cand: LoadedStrategy
) -> None:
    """A pinned evaluation file that changed fails loudly instead of moving the numbers."""
    pins = [*pins, (cand.strategy.data_sha256, f"{cand.path}: data_sha256")]
    for pin, source in pins:
        if pin and pin.lower() != digest:
            raise DataError(
                f"{data}: sha256 {digest[:12]}... is not the pinned evaluation data "
                f"({source} {pin[:12]}...)",
                hint="evaluate on the pinned file, or update the pin on purpose",
            )


def _read_table(
    lf: pl.LazyFrame,
    data: Path,
    loaded: list[LoadedStrategy],
    detectors: dict[str, Detector],
    roles: Roles,
    by: list[str] | None,
    carry: list[str] | None,
) -> tuple[pl.DataFrame, list[str]]:
    """The columns the strategies, metrics and caller use, scored where a detector must;
    every strategy is checked against the whole schema first (errors suggest any column)."""
    full = lf.collect_schema()
    columns = full.names()
    wanted = {
        "label": roles.label,
        **({"time": roles.time} if roles.time else {}),
        **({"amount": roles.amount} if roles.amount else {}),
    }
    require_columns(columns, wanted, str(data))
    for column in by or []:
        if column != SEGMENT and column not in columns:
            require_columns(columns, {"by": column}, str(data))
    types: dict[str, Any] = dict(full)
    types.update({c: pl.Float64 for c in detectors})
    for ls in loaded:
        compile_strategy(ls, pl.Schema(types))
    needed = [*wanted.values(), *[c for c in by or [] if c != SEGMENT]]
    for ls in loaded:
        needed += ls.strategy.score_columns() + condition_columns(ls)
    for det in detectors.values():
        needed += det.feature_names
    ids = _id_columns(columns, detectors)
    needed += ids + list(carry or [])
    table = lf.select([c for c in dict.fromkeys(needed) if c in full]).collect()
    _check_label(table, roles.label, data)
    table = table.with_columns(pl.col(roles.label).cast(pl.Int8))
    for column, det in detectors.items():
        table = score_frame(det, table, column)
    return table, ids


def _check_label(table: pl.DataFrame, label: str, source: Path) -> None:
    values = table[label]
    if values.null_count():
        raise DataError(
            f"{source}: label column '{label}' has {values.null_count():,} missing values",
            hint="fill or drop unlabelled rows first",
        )
    bad = table.filter(~pl.col(label).cast(pl.Int64, strict=False).is_in([0, 1])).height
    if bad:
        raise DataError(
            f"{source}: label column '{label}' has {bad:,} values other than 0 and 1",
            hint="labels must be 1 = bad, 0 = good",
        )


def _id_columns(names: list[str], detectors: dict[str, Detector]) -> list[str]:
    """The id column examples in reports show: a detector's first id, else a `*_id` one."""
    declared = [c for det in detectors.values() for c in det.manifest.get("ids") or []]
    candidates = declared or [n for n in names if n.endswith("_id")]
    return [c for c in candidates if c in names][:1]
