"""`features` on a cluster: the same derived columns as `riskctl features`, on partitioned
data.

Row-level columns (expressions, lookups) are computed part by part. A windowed column (count,
distinct, sum, mean, since) depends only on the rows of the same entity value, so its inputs
are shuffled by a hash of that value: every value's rows meet in one bucket, in row order,
and the one-machine code computes the columns there; they come back to their rows by row
number. Rings need the whole graph, which they see through its distinct links and first bad
labels only: one task builds a time-aware index from them, and each part answers its rows
from it (`features_rings.py`). History parts
(earlier context) take part in every exchange and are left out of the output. See
`features_plan.py` for how a spec splits into passes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from riskctl.data.io import scan_table
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.features_plan import Exchange, plan
from riskctl.distributed.features_tasks import PartJob, PartStats, exchange_task, part_task
from riskctl.distributed.parts import PartitionedOutput, partitions, refuse_inside, remove_tree
from riskctl.errors import DataError, UsageError
from riskctl.features import FeatureSpec, add_features
from riskctl.features.run import FeaturesRun, FeatureSummary
from riskctl.features.spec import load_spec
from riskctl.yamlconfig import LoadedYaml

Progress = Callable[[int, int], None]
SAMPLE_ROWS = 1_000  # rows checked on this machine before any work is sent


def _check_sample(parts: list[Path], loaded: LoadedYaml[FeatureSpec]) -> dict[str, pl.DataType]:
    """The data's columns; the spec run on the first part's first rows, so a spec that does
    not fit the data fails here with the one-machine message."""
    schema = dict(scan_table(parts[0]).collect_schema())
    sample = scan_table(parts[0]).head(SAMPLE_ROWS).collect()
    add_features(sample, loaded)
    return schema


def features_dataset(
    spec: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    history: Path | None = None,
    progress: Progress | None = None,
) -> FeaturesRun:
    """`features_file` on a cluster: `out` becomes a directory of one part per data part."""
    refuse_inside(Path(out), [data, history])
    loaded = load_spec(Path(spec).resolve())
    parts = [p.resolve() for p in partitions(data)]
    earlier = [p.resolve() for p in partitions(history)] if history is not None else []
    if loaded.path in parts or loaded.path in earlier:
        raise UsageError(f"{spec}: the spec is one of the data files")
    schema = _check_sample(parts, loaded)
    sources = earlier + parts
    with Cluster(options) as cluster, PartitionedOutput(out, sources) as output:
        scratch = Path(tempfile.mkdtemp(prefix=f".{output.out.name}.", dir=output.out.parent))
        try:
            stats, history_rows = _run(
                cluster, loaded, sources, schema, len(earlier), scratch, output, progress
            )
        finally:
            remove_tree(scratch)
        output.commit()
    return _summary(loaded, out, stats, history_rows)


def _run(
    cluster: Cluster,
    loaded: LoadedYaml[FeatureSpec],
    sources: list[Path],
    schema: dict[str, pl.DataType],
    n_hist: int,
    scratch: Path,
    output: PartitionedOutput,
    progress: Progress | None,
) -> tuple[list[PartStats], int]:
    """Every pass, then the output parts: their stats and the number of history rows."""
    buckets = max(2 * len(sources), 4 * cluster.nworkers)
    current: list[Path | None] = [None] * len(sources)
    merge: list[tuple[Exchange, Path]] = []
    history_rows = 0
    for k, step in enumerate(plan(loaded.model)):
        sends = [(x, scratch / f"p{k}" / f"x{j}" / "in") for j, x in enumerate(step.exchanges)]
        changed = bool(merge or step.row)
        for _, folder in sends:
            folder.mkdir(parents=True)
            (folder.parent / "out").mkdir()
        (scratch / f"p{k}").mkdir(exist_ok=True)
        jobs = [
            PartJob(
                i,
                source,
                current[i],
                schema,
                merge,
                step.row,
                sends,
                buckets,
                scratch / f"p{k}" / f"part-{i:05d}.parquet" if changed else None,
                False,
                i < n_hist,
            )
            for i, source in enumerate(sources)
        ]
        got = cluster.map(
            part_task, [(j, loaded) for j in jobs], f"features pass {k + 1}", progress
        )
        history_rows = history_rows or sum(s.rows for s in got[:n_hist])
        current = [j.out or current[j.index] for j in jobs]
        merge = _exchange(cluster, loaded, sends, buckets, progress)
    final = [
        PartJob(
            i, sources[i], current[i], schema, merge, [], [], buckets, output.part(i - n_hist), True
        )
        for i in range(n_hist, len(sources))
    ]
    stats = cluster.map(part_task, [(j, loaded) for j in final], "features output", progress)
    if not n_hist:
        return stats, 0
    if not history_rows:  # no pass read the history: count its rows now
        history_rows = sum(
            scan_table(p).select(pl.len()).collect().item() for p in sources[:n_hist]
        )
    return stats, history_rows


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
    loaded: LoadedYaml[FeatureSpec], out: Path, stats: list[PartStats], history_rows: int
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
    return FeaturesRun(out, sum(s.rows for s in done), history_rows, features)
