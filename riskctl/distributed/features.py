"""`features` on a cluster: the same derived columns as `riskctl features`, on partitioned
data.

Row-level columns (expressions, lookups) are computed part by part. A windowed column (count,
distinct, sum, mean, since) depends only on the rows of the same entity value, so its inputs
are shuffled by a hash of that value: every value's rows meet in one bucket, in row order,
and the one-machine code computes the columns there; they come back to their rows by row
number. Rings need the whole graph, which they see through its distinct links and first bad
labels only: one task builds a time-aware index from them, and each part answers its rows
from it (`features_rings.py`). Context parts
(the earlier events) take part in every exchange and are left out of the output. See
`features_plan.py` for how a spec splits into passes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl

from riskctl.data.io import scan_table
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.features_plan import Exchange, plan
from riskctl.distributed.features_tasks import (
    PartJob,
    PartStats,
    exchange_task,
    part_task,
    time_range,
)
from riskctl.distributed.parts import (
    PartitionedOutput,
    check_partitioned_out,
    partitions,
    remove_tree,
)
from riskctl.distributed.schemas import check_time_zones
from riskctl.errors import DataError, UsageError
from riskctl.features import FeatureSpec, add_features
from riskctl.features.run import FeaturesRun, FeatureSummary
from riskctl.features.spec import load_spec
from riskctl.yamlconfig import LoadedYaml

Progress = Callable[[int, int], None]
SAMPLE_ROWS = 1_000  # rows checked on this machine before any work is sent
FEATURES_KIND = "features"


def _check_sample(
    parts: list[Path], loaded: LoadedYaml[FeatureSpec], earlier: list[Path]
) -> dict[str, pl.DataType]:
    """The data's columns; the spec run on the first part's first rows (with the context's
    first rows as context), so a spec that does not fit the data fails here with the
    one-machine message."""
    schema = dict(scan_table(parts[0]).collect_schema())
    sample = scan_table(parts[0]).head(SAMPLE_ROWS).collect()
    context = scan_table(earlier[0]).head(SAMPLE_ROWS).collect() if earlier else None
    add_features(sample, loaded, context=context)
    return schema


def features_dataset(
    spec: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    context: Path | None = None,
    progress: Progress | None = None,
) -> FeaturesRun:
    """`features_file` on a cluster: `out` becomes a directory of one part per data part."""
    check_partitioned_out(out, FEATURES_KIND, [data, context], [spec])
    loaded = load_spec(Path(spec).resolve())
    parts = [p.resolve() for p in partitions(data)]
    earlier = [p.resolve() for p in partitions(context)] if context is not None else []
    if loaded.path in parts or loaded.path in earlier:
        raise UsageError(f"{spec}: the spec is one of the data files")
    check_time_zones(earlier + parts)
    schema = _check_sample(parts, loaded, earlier)
    sources = earlier + parts
    held = [*sources, loaded.path]
    with Cluster(options) as cluster, PartitionedOutput(out, held, FEATURES_KIND) as output:
        extra = _history_first(cluster, loaded, parts, earlier, schema)
        scratch = Path(tempfile.mkdtemp(prefix=f".{output.out.name}.", dir=output.out.parent))
        try:
            stats, context_rows = _run(
                cluster, loaded, sources, (schema, extra), len(earlier), scratch, output, progress
            )
        finally:
            remove_tree(scratch)
        output.commit()
    return _summary(loaded, out, stats, context_rows)


def _history_first(
    cluster: Cluster,
    loaded: LoadedYaml[FeatureSpec],
    parts: list[Path],
    earlier: list[Path],
    schema: dict[str, pl.DataType],
) -> dict[str, pl.DataType]:
    """Context must end before the data starts: one machine leaves out context rows that
    repeat data rows, which a cluster does not look for. The ring labels only the context
    has (the data's rows read them as unknown)."""
    if not earlier:
        return {}
    spans = cluster.map(time_range, [(p, loaded) for p in earlier + parts], "features survey")
    ends = [hi for _, hi in spans[: len(earlier)] if hi is not None]
    starts = [lo for lo, _ in spans[len(earlier) :] if lo is not None]
    if ends and starts and max(ends) >= min(starts):
        raise UsageError(
            "on a cluster, --context must end before the data starts (it reaches the data's "
            "first event time)",
            hint="pass only the earlier events as context, or run without --scheduler "
            "(which leaves out context rows that repeat data rows)",
        )
    have = dict(scan_table(earlier[0]).collect_schema())
    labels = dict.fromkeys(f.label for f in loaded.model.features if f.label)
    return {c: have[c] for c in labels if c and c in have and c not in schema}


def _run(
    cluster: Cluster,
    loaded: LoadedYaml[FeatureSpec],
    sources: list[Path],
    shape: tuple[dict[str, pl.DataType], dict[str, pl.DataType]],
    n_hist: int,
    scratch: Path,
    output: PartitionedOutput,
    progress: Progress | None,
) -> tuple[list[PartStats], int]:
    """Every pass, then the output parts: their stats and the number of context rows."""
    schema, extra = shape
    buckets = max(2 * len(sources), 4 * cluster.nworkers)
    current: list[Path | None] = [None] * len(sources)
    merge: list[tuple[Exchange, Path]] = []
    context_rows = 0
    for k, step in enumerate(plan(loaded.model)):
        sends = [(x, scratch / f"p{k}" / f"x{j}" / "in") for j, x in enumerate(step.exchanges)]
        changed = bool(merge or step.row)
        for _, folder in sends:
            folder.mkdir(parents=True)
            (folder.parent / "out").mkdir()
        (scratch / f"p{k}").mkdir(exist_ok=True)
        base = PartJob(0, sources[0], None, schema, merge, step.row, sends, buckets, None, False)
        jobs = [
            replace(
                base,
                index=i,
                source=source,
                current=current[i],
                out=scratch / f"p{k}" / f"part-{i:05d}.parquet" if changed else None,
                context=i < n_hist,
                extra=extra,
            )
            for i, source in enumerate(sources)
        ]
        got = cluster.map(
            part_task, [(j, loaded) for j in jobs], f"features pass {k + 1}", progress
        )
        context_rows = context_rows or sum(s.rows for s in got[:n_hist])
        current = [j.out or current[j.index] for j in jobs]
        merge = _exchange(cluster, loaded, sends, buckets, progress)
    last = PartJob(0, sources[0], None, schema, merge, [], [], buckets, None, True, extra=extra)
    final = [
        replace(last, index=i, source=sources[i], current=current[i], out=output.part(i - n_hist))
        for i in range(n_hist, len(sources))
    ]
    stats = cluster.map(part_task, [(j, loaded) for j in final], "features output", progress)
    if not n_hist:
        return stats, 0
    if not context_rows:  # no pass read the context: count its rows now
        context_rows = sum(
            scan_table(p).select(pl.len()).collect().item() for p in sources[:n_hist]
        )
    return stats, context_rows


def _exchange(
    cluster: Cluster,
    loaded: LoadedYaml[FeatureSpec],
    sends: list[tuple[Exchange, Path]],
    buckets: int,
    progress: Progress | None,
) -> list[tuple[Exchange, Path]]:
    calls = []
    for exchange, folder in sends:
        back = folder.parent / "out"
        if exchange.gathered:
            calls.append((exchange, [folder], back, loaded))
            continue
        for b in range(buckets):
            pieces = sorted(folder.glob(f"b{b:05d}-p*.parquet"))
            if pieces:
                calls.append((exchange, pieces, back, loaded))
    if calls:
        cluster.map(exchange_task, calls, "features exchange", progress)
    return [(exchange, folder.parent / "out") for exchange, folder in sends]


def _summary(
    loaded: LoadedYaml[FeatureSpec], out: Path, stats: list[PartStats], context_rows: int
) -> FeaturesRun:
    kinds = {f.name: f.kind for f in loaded.model.features}
    kinds |= {lk.name: "lookup" for lk in loaded.model.lookups}
    done = stats
    if not sum(s.rows for s in done):
        raise DataError("the data has no rows", hint="point --data at a table with events")
    features = []
    for name in loaded.model.names:
        cols = [s.columns[name] for s in done if s.rows]
        los = [c[2] for c in cols if c[2] is not None]
        his = [c[3] for c in cols if c[3] is not None]
        features.append(
            FeatureSummary(
                name,
                kinds[name],
                cols[0][0],
                sum(c[1] for c in cols),
                min(los) if los else None,
                max(his) if his else None,
            )
        )
    return FeaturesRun(out, sum(s.rows for s in done), context_rows, 0, features)
