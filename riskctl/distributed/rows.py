"""Per-row commands on a cluster: `score` and `explain`, one task per input partition.

Each task runs the one-machine function on its partition and writes one part of the
partitioned output, so every row gets exactly the value it gets on one machine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from riskctl.data.privacy import new_key
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.parts import PartitionedOutput, partitions
from riskctl.errors import DataError, UsageError
from riskctl.explain.batches import ExplainOptions, ExplainResult, explain_file
from riskctl.explain.catalogue import load_catalogue
from riskctl.model.detector import load_detector
from riskctl.model.score import BATCH_ROWS, ScoreSummary, score_file

Progress = Callable[[int, int], None]


def _no_derived_features(detector_dir: Path) -> None:
    """A detector that derives features from raw events needs every earlier row of each
    entity: that runs on one machine (`riskctl features`), not part by part."""
    from riskctl.distributed.train import FEATURES_HINT, ONE_MACHINE_FEATURES

    if load_detector(detector_dir).manifest.get("derived_features"):
        raise UsageError(ONE_MACHINE_FEATURES, hint=FEATURES_HINT)


def _score_part(
    detector: Path,
    part: Path,
    out: Path,
    keep: list[str] | None,
    column: str,
    batch: int,
    keep_all: bool,
) -> ScoreSummary:
    return score_file(
        detector, part, out, keep=keep, column=column, batch_rows=batch, keep_all=keep_all
    )


def score_dataset(
    detector_dir: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    keep: list[str] | None = None,
    column: str = "score",
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    keep_all: bool = False,
) -> ScoreSummary:
    """Score every partition of `data` on the cluster into `out/part-NNNNN.parquet`."""
    _no_derived_features(detector_dir)  # a broken detector fails here, before any work
    parts = [p.resolve() for p in partitions(data)]
    with Cluster(options) as cluster, PartitionedOutput(out, parts) as output:
        calls = [
            (
                detector_dir.resolve(),
                part,
                output.part(i).resolve(),
                keep,
                column,
                batch_rows,
                keep_all,
            )
            for i, part in enumerate(parts)
        ]
        results = cluster.map(_score_part, calls, name="score", progress=progress)
        output.commit()
    unseen: dict[str, int] = {}
    for r in results:
        for name, n in r.unseen.items():
            unseen[name] = unseen.get(name, 0) + n
    return ScoreSummary(out, sum(r.rows for r in results), results[0].columns, unseen)


def _explain_part(detector: Path, part: Path, out: Path, o: ExplainOptions) -> ExplainResult:
    return explain_file(detector, part, out, o)


def explain_dataset(
    detector_dir: Path,
    data: Path,
    out: Path | None,
    options: ClusterOptions,
    o: ExplainOptions,
    progress: Progress | None = None,
) -> ExplainResult:
    """Explain every partition of `data` on the cluster into `out/part-NNNNN.parquet`; ids
    masked with one key for the whole run."""
    if out is None:
        raise UsageError("on a cluster, explain needs --out DIR (the partitioned output)")
    if o.summary or o.interactions:
        raise UsageError(
            "--summary and --interactions run on one machine only",
            hint="explain a sample of rows without --scheduler for the global views",
        )
    if o.only_flagged and o.strategy is None:
        raise UsageError(
            "--only-flagged needs --strategy", hint="flagged is what a strategy decides"
        )
    if getattr(o, "history", None) is not None:
        raise UsageError("--history runs on one machine only", hint="drop --scheduler")
    _no_derived_features(detector_dir)
    if o.catalogue is not None:
        load_catalogue(o.catalogue)
    absolute = dataclasses.replace(
        o,
        strategy=o.strategy.resolve() if o.strategy else None,
        catalogue=o.catalogue.resolve() if o.catalogue else None,
        mask_key=o.mask_key or new_key(),
        allow_empty=True,
    )
    parts = [p.resolve() for p in partitions(data)]
    with Cluster(options) as cluster, PartitionedOutput(out, parts) as output:
        calls = [
            (detector_dir.resolve(), part, output.part(i).resolve(), absolute)
            for i, part in enumerate(parts)
        ]
        results = cluster.map(_explain_part, calls, name="explain", progress=progress)
        explained = sum(r.rows_explained for r in results)
        if explained == 0:
            raise DataError(
                "no rows to explain (no row is flagged)" if o.only_flagged else "no rows to explain"
            )
        output.commit()
    first = results[0]
    return ExplainResult(
        out,
        sum(r.rows_in for r in results),
        explained,
        first.uncatalogued,
        None,
        first.masked,
    )
