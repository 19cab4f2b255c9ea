"""Per-row commands on a cluster: `score` and `explain`, one task per input partition.

Each task runs the one-machine function on its partition and writes one part of the
partitioned output, so every row gets exactly the value it gets on one machine. Raw events
for a detector that derives features are derived on the cluster first (`derived.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from riskctl.data.io import scan_table
from riskctl.data.privacy import new_key
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.derived import derived_input
from riskctl.distributed.parts import PartitionedOutput, check_partitioned_out, partitions
from riskctl.distributed.schemas import FirstPart
from riskctl.errors import DataError, UsageError
from riskctl.explain.batches import ExplainOptions, ExplainResult, explain_file
from riskctl.explain.catalogue import load_catalogue
from riskctl.model.score import SCORE_ROWS, ScoreSummary, score_file

Progress = Callable[[int, int], None]
SCORE_KIND = "score"
EXPLAIN_KIND = "explain"


def _explain_inputs(detector_dir: Path, o: ExplainOptions) -> list[Path]:
    return [p for p in (detector_dir, o.strategy, o.catalogue, o.history) if p is not None]


def _score_part(
    part: Path,
    detector: Path,
    out: Path,
    keep: list[str] | None,
    column: str,
    batch: int,
    keep_all: bool,
    first: FirstPart,
    replace: bool = False,
) -> ScoreSummary:
    first.check(part, scan_table(part).collect_schema())
    return score_file(
        detector,
        part,
        out,
        keep=keep,
        column=column,
        batch_rows=batch,
        keep_all=keep_all,
        replace=replace,
    )


def score_dataset(
    detector_dir: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    keep: list[str] | None = None,
    column: str = "score",
    batch_rows: int = SCORE_ROWS,
    progress: Progress | None = None,
    keep_all: bool = False,
    history: Path | None = None,
    replace: bool = False,
) -> ScoreSummary:
    """Score every partition of `data` on the cluster into `out/part-NNNNN.parquet`; raw
    events first get the detector's derived features (`history` as context). `column` and
    `replace` as for `score_file`."""
    check_partitioned_out(out, SCORE_KIND, [data, history], [detector_dir])
    with derived_input(detector_dir, data, history, Path(out).parent, options) as data:
        return _score_parts(
            detector_dir,
            data,
            out,
            options,
            (keep, column, replace),
            batch_rows,
            progress,
            keep_all,
        )


def _score_parts(
    detector_dir: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    carry: tuple[list[str] | None, str, bool],  # keep, the score column, replace
    batch_rows: int,
    progress: Progress | None,
    keep_all: bool,
) -> ScoreSummary:
    keep, column, replace = carry
    parts = [p.resolve() for p in partitions(data)]
    first = FirstPart.of(parts[0])
    held = [*parts, detector_dir]
    with Cluster(options) as cluster, PartitionedOutput(out, held, SCORE_KIND) as output:
        calls = [
            (
                part,
                detector_dir.resolve(),
                output.part(i).resolve(),
                keep,
                column,
                batch_rows,
                keep_all,
                first,
                replace,
            )
            for i, part in enumerate(parts)
        ]
        results = cluster.map(_score_part, calls, "score", progress, per_part=True)
        output.commit()
    unseen: dict[str, int] = {}
    for r in results:
        for name, n in r.unseen.items():
            unseen[name] = unseen.get(name, 0) + n
    return ScoreSummary(out, sum(r.rows for r in results), results[0].columns, unseen)


def _explain_part(
    part: Path, detector: Path, out: Path, o: ExplainOptions, first: FirstPart
) -> ExplainResult:
    first.check(part, scan_table(part).collect_schema())
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
    if o.catalogue is not None:
        load_catalogue(o.catalogue)
    absolute = dataclasses.replace(
        o,
        strategy=o.strategy.resolve() if o.strategy else None,
        catalogue=o.catalogue.resolve() if o.catalogue else None,
        mask_key=o.mask_key or new_key(),
        allow_empty=True,
        history=None,  # context for derived features, computed before the parts are explained
    )
    check_partitioned_out(out, EXPLAIN_KIND, [data, o.history], _explain_inputs(detector_dir, o))
    with derived_input(detector_dir, data, o.history, Path(out).parent, options) as data:
        return _explain_parts(detector_dir, data, out, options, absolute, progress)


def _explain_parts(
    detector_dir: Path,
    data: Path,
    out: Path,
    options: ClusterOptions,
    absolute: ExplainOptions,
    progress: Progress | None,
) -> ExplainResult:
    parts = [p.resolve() for p in partitions(data)]
    shape = FirstPart.of(parts[0])
    held = [*parts, *_explain_inputs(detector_dir, absolute)]
    with Cluster(options) as cluster, PartitionedOutput(out, held, EXPLAIN_KIND) as output:
        calls = [
            (part, detector_dir.resolve(), output.part(i).resolve(), absolute, shape)
            for i, part in enumerate(parts)
        ]
        results = cluster.map(_explain_part, calls, "explain", progress, per_part=True)
        explained = sum(r.rows_explained for r in results)
        if explained == 0:
            raise DataError(
                "no rows to explain (no row is flagged)"
                if absolute.only_flagged
                else "no rows to explain"
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
