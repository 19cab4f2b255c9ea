"""`simulate` and `check` on a cluster: each partition is decided by the one-machine engine
and reduced to sums (counts per day, action and label; rule and warning sums; the swap
columns a paired comparison needs); the sums of all partitions give exactly the numbers of
the whole table.

Two passes: the first reads each part's digest, row count and newest event time (label
maturity is measured against the newest row of the whole dataset); the second decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import scan_table
from riskctl.distributed.assemble import combine_run
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.parts import PartitionedOutput, dataset_sha256, part_sha256, partitions
from riskctl.errors import DataError
from riskctl.evaluate.metrics import Roles, kept
from riskctl.evaluate.rules import rule_sums, warning_sums
from riskctl.evaluate.simulate import (
    SimulationRun,
    _check_pins,
    _load_detectors,
    _read_table,
    resolve_roles,
)
from riskctl.model.detector import Detector
from riskctl.strategy.decisions import ACTION, DECISION_COLUMNS, FLAGGED, SEGMENT, DecisionSchema
from riskctl.strategy.engine import compile_strategy, decide
from riskctl.strategy.load import LoadedStrategy, load_strategy

Progress = Callable[[int, int], None]
DAY = "__day"


@dataclass(frozen=True)
class Survey:
    """What the first pass learns about one partition."""

    sha256: str
    rows: int
    newest: pl.DataFrame  # one row: the newest event time (empty frame without a time)


def survey_part(part: Path, time: str | None) -> Survey:
    lf = scan_table(part)
    rows = lf.select(pl.len()).collect().item()
    newest = pl.DataFrame()
    if time and time in lf.collect_schema().names():
        newest = lf.select(pl.col(time).max()).collect()
    return Survey(part_sha256(part), int(rows), newest)


@dataclass(frozen=True)
class PartSpec:
    """Everything a worker needs to decide one partition (sent with each task)."""

    loaded: list[LoadedStrategy]  # candidate first, then the baseline
    detectors: dict[str, Detector]
    roles: Roles
    by: list[str]
    cutoffs: list[Any]  # per strategy: rows at or before it have matured (None: all)
    pairs: bool  # keep the per-row columns a paired comparison needs
    carry: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StrategyPart:
    """One strategy's sums over one partition."""

    groups: pl.DataFrame  # matured rows by (day, action, label): rows, amount
    by: dict[str, pl.DataFrame]  # the same, per --by column value
    left_out: int
    rules: dict[str, Any]
    warnings: dict[str, Any]
    flagged: pl.Series | None  # matured rows' flags, for the paired comparison


@dataclass(frozen=True)
class Part:
    strategies: list[StrategyPart]
    pairs: pl.DataFrame | None  # matured (by the candidate) rows: label, amount


def _matured(df: pl.DataFrame, time: str | None, cutoff: Any) -> pl.Series:
    """`evaluate.metrics.matured`, with the cutoff of the whole dataset."""
    if cutoff is None or time is None:
        return pl.Series(values=[True] * df.height, dtype=pl.Boolean)
    return df[time] <= cutoff


def group_counts(df: pl.DataFrame, roles: Roles, keys: list[pl.Expr]) -> pl.DataFrame:
    """Rows and amount per (keys, day, action, label): every count a metric needs."""
    day = pl.col(roles.time).dt.date() if roles.time else pl.lit(None, dtype=pl.Date)
    aggs = [pl.len().cast(pl.Int64).alias("rows")]
    if roles.amount:
        aggs.append(pl.col(roles.amount).cast(pl.Float64).fill_null(0.0).sum().alias("amount"))
    return df.group_by([*keys, day.alias(DAY), pl.col(ACTION), pl.col(roles.label)]).agg(aggs)


def decide_part(
    loaded: LoadedStrategy, table: pl.DataFrame, roles: Roles, by: list[str]
) -> tuple[pl.DataFrame, DecisionSchema]:
    """`simulate_one`'s decisions frame for one partition."""
    compiled = compile_strategy(loaded, table.schema)
    try:
        decided = decide(compiled, table.lazy()).collect()
    except pl.exceptions.PolarsError as exc:
        raise DataError(
            f"{loaded.path}: cannot apply the strategy to this data: {str(exc).splitlines()[0]}"
        ) from None
    keep_cols = [c for c in (roles.label, roles.time, roles.amount) if c]
    keep_cols += [c for c in loaded.strategy.score_columns() if c not in keep_cols]
    keep_cols += [c for c in by if c not in keep_cols and c != SEGMENT]
    columns = [*keep_cols, *DECISION_COLUMNS, *compiled.schema.hit_columns]
    return decided.select(columns), compiled.schema


def _strategy_part(
    loaded: LoadedStrategy, table: pl.DataFrame, spec: PartSpec, cutoff: Any, out: Path | None
) -> tuple[StrategyPart, pl.Series]:
    roles = spec.roles
    decisions, schema = decide_part(loaded, table, roles, spec.by)
    if out is not None:
        decisions.with_columns(schema.matched_list()).write_parquet(
            out, compression="zstd", statistics=False
        )
    keep = _matured(decisions, roles.time, cutoff)
    mature = kept(decisions, keep)
    by = {
        column: group_counts(
            mature, roles, [pl.col(column).cast(pl.String).fill_null("(none)").alias("value")]
        )
        for column in spec.by
    }
    sums = rule_sums(schema, roles.label, roles.amount)
    checks = warning_sums(loaded, schema)
    part = StrategyPart(
        group_counts(mature, roles, []),
        by,
        int((~keep).sum()),
        mature.select(sums).row(0, named=True) if sums else {},
        decisions.select(checks).row(0, named=True) if checks else {},
        None,
    )
    return part, decisions[FLAGGED]


def read_part(part: Path, spec: PartSpec) -> pl.DataFrame:
    """One partition as `run_simulation` reads a file: the columns the strategies, metrics
    and detectors use, labels checked, scored where a detector must."""
    lf = scan_table(part)
    table, _ = _read_table(lf, part, spec.loaded, spec.detectors, spec.roles, spec.by, spec.carry)
    return table


def simulate_part(part: Path, spec: PartSpec, outs: list[Path | None]) -> Part:
    """One partition decided by every strategy of `spec`, reduced to sums."""
    table = read_part(part, spec)
    results = []
    flags = []
    for loaded, cutoff, out in zip(spec.loaded, spec.cutoffs, outs, strict=True):
        result, flagged = _strategy_part(loaded, table, spec, cutoff, out)
        results.append(result)
        flags.append(flagged)
    pairs = None
    if spec.pairs:
        keep = _matured(table, spec.roles.time, spec.cutoffs[0])
        columns = [spec.roles.label, *([spec.roles.amount] if spec.roles.amount else [])]
        pairs = kept(table.select(columns), keep)
        results = [
            StrategyPart(r.groups, r.by, r.left_out, r.rules, r.warnings, f.filter(keep))
            for r, f in zip(results, flags, strict=True)
        ]
    return Part(results, pairs)


def cutoff_of(newest: list[pl.DataFrame], time: str | None, maturity_days: float) -> Any:
    """The newest event time of the dataset minus the label maturity, as `matured` computes
    it on one machine (None: every row counts)."""
    frames = [f for f in newest if f.width]
    if maturity_days <= 0 or time is None or not frames:
        return None
    micros = int(maturity_days * 86_400_000_000)
    return pl.concat(frames).select(pl.col(time).max() - pl.duration(microseconds=micros)).item()


@dataclass(frozen=True)
class Plan:
    """A dataset surveyed on the cluster and the spec its partitions are decided with."""

    parts: list[Path]
    digest: str
    spec: PartSpec


def plan(
    cluster: Cluster,
    loaded: list[LoadedStrategy],
    data: Path,
    roles_from: tuple[str | None, str | None, str | None],
    by: list[str],
    data_sha256: str | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The first pass: partitions, their digests and newest event time; roles resolved as
    `run_simulation` resolves them; each strategy's maturity cutoff on the whole dataset."""
    parts = [p.resolve() for p in partitions(data)]
    columns = scan_table(parts[0]).collect_schema().names()
    detectors = _load_detectors(loaded, columns)
    roles = resolve_roles(loaded, detectors, *roles_from)
    surveys = cluster.map(
        survey_part, [(p, roles.time) for p in parts], name="survey", progress=progress
    )
    digest = dataset_sha256(parts, [s.sha256 for s in surveys], data)
    _check_pins(data, digest, [(data_sha256, "--data-sha256")], loaded[0])
    newest = [s.newest for s in surveys]
    cutoffs = [cutoff_of(newest, roles.time, ls.strategy.label_maturity_days) for ls in loaded]
    spec = PartSpec(loaded, detectors, roles, by, cutoffs, len(loaded) > 1)
    return Plan(parts, digest, spec)


def simulate_dataset(
    candidate: Path,
    data: Path,
    options: ClusterOptions,
    baseline: Path | None = None,
    label: str | None = None,
    time: str | None = None,
    amount: str | None = None,
    by: list[str] | None = None,
    data_sha256: str | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
) -> SimulationRun:
    """`run_simulation` on a cluster: the same metrics, rule table, segments, daily series,
    warnings and comparison; with `out`, per-row decisions written partitioned."""
    loaded = [load_strategy(candidate), *([load_strategy(baseline)] if baseline else [])]
    with Cluster(options) as cluster:
        p = plan(
            cluster, loaded, data, (label, time, amount), list(by or []), data_sha256, progress
        )
        results = _decide_parts(cluster, p.parts, p.spec, out, progress)
    return combine_run(data, p.digest, p.spec, results, p.spec.detectors)


def _decide_parts(
    cluster: Cluster, parts: list[Path], spec: PartSpec, out: Path | None, progress: Any
) -> list[Part]:
    if out is None:
        calls = [(p, spec, [None] * len(spec.loaded)) for p in parts]
        return cluster.map(simulate_part, calls, name="simulate", progress=progress)
    names = ["decisions", "baseline_decisions"][: len(spec.loaded)]
    outputs = [PartitionedOutput(out / name, parts) for name in names]
    try:
        calls = [(p, spec, [o.part(i).resolve() for o in outputs]) for i, p in enumerate(parts)]
        results = cluster.map(simulate_part, calls, name="simulate", progress=progress)
        for o in outputs:
            o.commit()
        return results
    finally:
        for o in outputs:
            o.discard()
