"""`simulate` and `check` on a cluster: each partition is decided by the one-machine engine
and reduced to its cells (`simulation/cells.py`: rows and amounts per matured flag, day,
label, fired-decider masks, segments and --by values); the cells of all partitions, summed,
are the cells of the whole table, from which `simulation/simulate.py` derives every metric,
the rule table, warnings, daily series, segments and the paired comparison exactly as on
one machine.

Two passes: the first reads each part's digest and newest event time (label maturity is
measured against the newest row of the whole dataset); the second decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.dates import matured_before
from riskctl.data.io import scan_table, sha256_file
from riskctl.data.values import check_amount_sum, check_rows
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.derived import derived_by
from riskctl.distributed.limits import FEATURES_HINT, ONE_MACHINE_FEATURES, all_seen, unweighted
from riskctl.distributed.parts import (
    PartitionedOutput,
    check_partitioned_out,
    dataset_sha256,
    part_sha256,
    partitions,
)
from riskctl.distributed.schemas import FirstPart
from riskctl.errors import UsageError
from riskctl.features.stored import stored_spec
from riskctl.model.detector import Detector
from riskctl.simulation.cells import AMOUNT, AMOUNT_SQ, BAD, ROWS, Cells, sorted_cells
from riskctl.simulation.pins import check_pins
from riskctl.simulation.role_resolution import load_detectors, resolve_roles
from riskctl.simulation.roles import Roles
from riskctl.simulation.rows import Rows, plan_columns, read_rows
from riskctl.simulation.simulate import (
    SimulationRun,
    cell_frame,
    decided_rows,
    kept_columns,
    measured_candidate,
    simulations_from_cells,
)
from riskctl.simulation.strategy_metrics import metrics_from_cells
from riskctl.strategy.decisions import SEGMENT
from riskctl.strategy.engine import CompiledStrategy
from riskctl.strategy.load import LoadedStrategy, load_strategy

Progress = Callable[[int, int], None]
OUT_NAMES = ("decisions", "baseline_decisions")  # the partitioned outputs under --out
DECISIONS_KIND = "decisions"


@dataclass(frozen=True)
class Survey:
    """What the first pass learns about one partition."""

    sha256: str
    newest: pl.DataFrame  # one row: the newest event time (empty frame without a time)


def survey_part(part: Path, time: str | None) -> Survey:
    lf = scan_table(part)
    newest = pl.DataFrame()
    if time and time in lf.collect_schema().names():
        newest = lf.select(pl.col(time).max()).collect()
    return Survey(part_sha256(part), newest)


@dataclass(frozen=True)
class PartSpec:
    """Everything a worker needs to decide one partition (sent with each task)."""

    loaded: list[LoadedStrategy]  # candidate first, then the baseline
    detectors: dict[str, Detector]
    roles: Roles
    by: list[str]
    cutoffs: list[Any]  # per strategy: rows at or before it have matured (None: all)
    carry: list[str] = field(default_factory=list)
    first: FirstPart | None = None  # every part must have its columns, of the same kinds


def part_rows(part: Path, spec: PartSpec) -> tuple[Rows, list[CompiledStrategy]]:
    """One partition as `run_simulation` reads a file (`read_rows`)."""
    lf = scan_table(part)
    if spec.first is not None:
        spec.first.check(part, lf.collect_schema())
    rows, compiled, _ = read_rows(
        lf, part, spec.loaded, spec.detectors, spec.roles, spec.by, spec.carry, part=True
    )
    return rows, compiled


def decisions_of(rows: Rows, compiled: CompiledStrategy, by: list[str]) -> pl.DataFrame:
    """`Simulation.decisions` of one partition."""
    return decided_rows(compiled, rows, kept_columns(compiled.loaded, rows.roles, by))


def cells_part(part: Path, spec: PartSpec, outs: list[Path | None]) -> pl.DataFrame:
    """One partition decided by every strategy of `spec`, reduced to its cells; with
    `outs`, each strategy's per-row decisions written there."""
    rows, compiled = part_rows(part, spec)
    for c, out in zip(compiled, outs, strict=True):
        if out is not None:
            frame = decisions_of(rows, c, spec.by).with_columns(c.schema.matched_list())
            frame.write_parquet(out, compression="zstd", statistics=False)
    return cell_frame(rows, compiled, spec.cutoffs, spec.by)


def merge_cells(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The cells of the whole table from the cells of its parts."""
    frame = pl.concat(frames, how="vertical_relaxed")
    sums = [c for c in frame.columns if c in (ROWS, AMOUNT, AMOUNT_SQ) or BAD in c]
    keys = [c for c in frame.columns if c not in sums]
    merged = frame.group_by(keys, maintain_order=True).agg(pl.col(c).sum() for c in sums)
    return sorted_cells(merged.select(frame.columns))


def cutoff_of(newest: list[pl.DataFrame], time: str | None, maturity_days: float) -> Any:
    """The newest event time of the dataset minus the label maturity, as `maturity_cutoff`
    computes it on one machine (None: every row counts)."""
    frames = [f for f in newest if f.width]
    if not frames:
        return None
    # lazily: with no maturity the parts' times are never combined (nor their zones compared)
    return matured_before(pl.concat([f.lazy() for f in frames]), time, maturity_days)


@dataclass(frozen=True)
class Plan:
    """A dataset surveyed on the cluster and the spec its partitions are decided with."""

    parts: list[Path]
    digest: str
    spec: PartSpec
    compiled: list[CompiledStrategy]


def plan(
    cluster: Cluster,
    loaded: list[LoadedStrategy],
    data: Path,
    roles_from: tuple[str | None, str | None, str | None],
    by: list[str],
    data_sha256: str | None = None,
    progress: Progress | None = None,
    raw: Path | None = None,
    baseline_roles: bool = False,
) -> Plan:
    """The first pass: partitions, their digests and newest event time; roles resolved and
    strategies compiled as `run_simulation` does; each strategy's maturity cutoff. `raw`:
    the events `data` was derived from (the digest and pins are theirs).
    `baseline_roles`: the baseline's roles speak first (measuring the baseline's way)."""
    parts = [p.resolve() for p in partitions(data)]
    lf = scan_table(parts[0])
    speaks = loaded[::-1] if baseline_roles else loaded
    detectors = load_detectors(speaks, lf.collect_schema().names())
    roles = resolve_roles(speaks, detectors, *roles_from)
    unweighted(roles.history, str(loaded[0].path))
    selected, compiled, _ = plan_columns(lf, parts[0], loaded, detectors, roles, by, None)
    first = FirstPart.of(parts[0], selected)
    calls = [(p, roles.time) for p in parts]
    surveys = cluster.map(survey_part, calls, "survey", progress, per_part=True)
    digest = dataset_sha256(parts, [s.sha256 for s in surveys], data)
    if raw is not None and raw != data:
        found = [p.resolve() for p in partitions(raw)]
        digest = dataset_sha256(found, cluster.map(part_sha256, [(p,) for p in found]), raw)
        data = raw
    check_pins(data, digest, [(data_sha256, "--data-sha256")], loaded)
    newest = [s.newest for s in surveys]
    cutoffs = [cutoff_of(newest, roles.time, ls.strategy.label_maturity_days) for ls in loaded]
    spec = PartSpec(loaded, detectors, roles, by, cutoffs, first=first)
    return Plan(parts, digest, spec, compiled)


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
    context: Path | None = None,
    measure_as_baseline: bool = False,
) -> SimulationRun:
    """`run_simulation` on a cluster: the same metrics, rule table, segments, daily series,
    warnings and comparison; with `out`, per-row decisions written partitioned. The run
    holds no rows (`run.table` is empty): consumers that need rows run on one machine."""
    theirs = load_strategy(baseline) if baseline else None
    cand = measured_candidate(load_strategy(candidate), theirs, measure_as_baseline)
    loaded = [cand, *([theirs] if theirs else [])]
    if out is not None:
        names = OUT_NAMES[: len(loaded)]
        strategies = [candidate, baseline]
        check_partitioned_out(out, DECISIONS_KIND, [data, context], strategies, names)
    beside = Path(out) if out is not None else Path(str(data)).parent
    derive = derived_spec(loaded, data)
    with (
        derived_by(derive, data, context, beside, options) as read,
        Cluster(options) as cluster,
    ):
        p = plan(
            cluster,
            loaded,
            read,
            (label, time, amount),
            list(by or []),
            data_sha256,
            progress,
            raw=data,
            baseline_roles=measure_as_baseline and baseline is not None,
        )
        frames = _decide_parts(cluster, p, out, progress, data)
    spec = p.spec
    rows = Rows(pl.LazyFrame(), [], data, spec.roles, spec.detectors)
    cells = merge_cells(frames)
    check_rows(cells.head(0) if cells[ROWS].sum() == 0 else cells, data)
    _all_seen(cells, p.compiled, spec.roles, spec.by)
    sims, comparison = simulations_from_cells(cells, p.compiled, rows, spec.by)
    base = sims[1] if len(sims) > 1 else None
    return SimulationRun(
        data, p.digest, spec.roles, sims[0], base, comparison, spec.detectors, rows, []
    )


def derived_spec(loaded: list[LoadedStrategy], data: Path) -> Path | None:
    """The features spec the strategies' detectors derive raw events with (one at most)."""
    detectors = load_detectors(loaded, scan_table(partitions(data)[0]).collect_schema().names())
    specs = {}
    for d in detectors.values():
        spec = stored_spec(d.path, d.manifest)
        if spec is not None:
            specs[sha256_file(spec)] = spec
    if len(specs) > 1:
        raise UsageError(
            "detectors that derive features with different specs: " + ONE_MACHINE_FEATURES,
            hint=FEATURES_HINT,
        )
    return next(iter(specs.values()), None)


def _all_seen(
    frame: pl.DataFrame, compiled: list[CompiledStrategy], roles: Roles, by: list[str]
) -> None:
    cells = Cells(frame, roles, [c for c in by if c != SEGMENT])
    for i, c in enumerate(compiled):
        counts = metrics_from_cells(cells, f"s{i}_", c.schema, c.strategy).counts
        all_seen(int(counts.unlabelled), int(counts.blocked))


def _sums_fit(frames: list[pl.DataFrame], roles: Roles, data: Path) -> list[pl.DataFrame]:
    """Each part's amount sums may be finite and the whole's not: checked before any output
    is in place."""
    if roles.amount:
        square = sum(float(f[AMOUNT_SQ].sum()) for f in frames)
        check_amount_sum(square, roles.amount, data)
    return frames


def _decide_parts(
    cluster: Cluster, p: Plan, out: Path | None, progress: Progress | None, data: Path
) -> list[pl.DataFrame]:
    n = len(p.spec.loaded)
    if out is None:
        nothing: list[Path | None] = [None] * n
        calls = [(part, p.spec, nothing) for part in p.parts]
        frames = cluster.map(cells_part, calls, "simulate", progress, per_part=True)
        return _sums_fit(frames, p.spec.roles, data)
    names, existed = OUT_NAMES[:n], out.exists()
    held = [
        *p.parts,
        *(s.path for s in p.spec.loaded),
        *(d.path for d in p.spec.detectors.values()),
    ]
    outputs = [PartitionedOutput(out / name, held, DECISIONS_KIND) for name in names]
    try:
        writes = [
            (part, p.spec, [o.part(i).resolve() for o in outputs]) for i, part in enumerate(p.parts)
        ]
        frames = _sums_fit(
            cluster.map(cells_part, writes, "simulate", progress, per_part=True),
            p.spec.roles,
            data,
        )
        for o in outputs:
            o.commit()
        return frames
    finally:
        for o in outputs:
            o.discard()
        if not existed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no trace, not even the folder it made
