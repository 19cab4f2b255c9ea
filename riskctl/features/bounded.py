"""Derived features on tables larger than memory, with the same results as all at once.

Every window feature depends only on the rows of its own entity value, so the rows are split
into buckets by a hash of the entity value and each bucket is computed on its own. The
passes, each holding one chunk or one bucket at a time:

1. the table, read in chunks in file order: lookups and row-level expressions are added and
   each chunk is written to a temporary Parquet part with its row number;
2. per entity: the columns its windows read are split by entity hash into buckets (a
   streaming partitioned write); each bucket's windows are computed and written by row
   number, with each value's node number for the rings (dense: a bucket holds every row of
   its values);
3. rings: row numbers, times, node numbers and labels, replayed one time range at a time
   (see `ring_stream`);
4. per chunk again: the window and ring columns of its row numbers are read back (Parquet
   statistics skip the rest), expressions over them added, and the chunk written out.

The temporary files live in a folder beside the output and are removed at the end.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import BatchWriter
from riskctl.errors import DataError, UsageError
from riskctl.features.budget import ChunkPlan
from riskctl.features.compute import Context, compute, entity_codes, event_times
from riskctl.features.index import NULL, entity_columns, entity_key
from riskctl.features.spec import FeatureSpec
from riskctl.sqlsafe import sql_expr
from riskctl.tempfiles import partial_dir, untrack_partial

ROW = "__riskctl_row"
BUCKET = "__riskctl_bucket"
US = "__riskctl_us"  # the event time as int64 microseconds
Progress = Callable[[int, int], None]


@dataclass
class FeaturePasses:
    """Which pass computes each feature."""

    first: set[str] = field(default_factory=set)  # lookups, expressions over input columns
    per_entity: dict[str, list[str]] = field(default_factory=dict)  # windows, or [] to code
    rings: list[str] = field(default_factory=list)
    last: set[str] = field(default_factory=set)  # expressions over window or ring columns


def _expr_columns(text: str) -> list[str]:
    try:
        return sql_expr(text, None, "`expr`").meta.root_names()
    except pl.exceptions.PolarsError:
        return []  # the pass that computes it reports the bad SQL with its line


def plan(spec: FeatureSpec) -> FeaturePasses:
    out = FeaturePasses(first={lk.name for lk in spec.lookups})
    later: set[str] = set()  # window, ring and late expression columns
    for f in spec.features:
        if f.kind == "expr":
            late = any(c in later for c in _expr_columns(f.expr or ""))
            (out.last if late else out.first).add(f.name)
            if late:
                later.add(f.name)
            continue
        reads = [getattr(f, f.kind)] if f.kind in ("count", "distinct", "sum", "mean") else []
        reads += [f.label] if f.label else []
        ents = [f.per] if f.per else [f.ring.nodes, *f.ring.links] if f.ring else []
        for e in ents:
            cols = spec.entities.get(e or "", [])
            reads += [cols] if isinstance(cols, str) else cols
        used = [c for c in reads if c in later]
        if used:
            raise UsageError(
                f"feature '{f.name}' reads '{used[0]}', a window or ring column: that needs "
                "the whole table in memory at once",
                hint="raise --memory-limit, or derive it from input columns",
            )
        if f.kind == "ring" and f.ring is not None:
            out.rings.append(f.name)
            for entity in (f.ring.nodes, *f.ring.links):
                out.per_entity.setdefault(entity, [])
        else:
            out.per_entity.setdefault(f.per or "", []).append(f.name)
        later.add(f.name)
    return out


def _chunks(lf: pl.LazyFrame, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The table in file order, chunk by chunk (a streaming read: never all at once)."""
    for batch in lf.collect_batches(chunk_size=chunk_rows):
        if batch.height:
            yield batch


@dataclass
class Work:
    ctx: Context
    folder: Path
    split: ChunkPlan
    parts: list[Path] = field(default_factory=list)  # pass 1 output, in row order
    results: list[Path] = field(default_factory=list)  # folders of row-numbered columns
    nodes: dict[str, int] = field(default_factory=dict)  # entity -> its distinct values
    done: int = 0
    total: int = 1
    progress: Progress | None = None

    def step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(min(self.done, self.total), self.total)


def first_pass(work: Work, lf: pl.LazyFrame, wanted: set[str]) -> None:
    offset = 0
    for i, chunk in enumerate(_chunks(lf, work.split.chunk_rows)):
        numbered = chunk.with_columns(
            pl.int_range(offset, offset + chunk.height, dtype=pl.Int64).alias(ROW),
            pl.Series(US, event_times(chunk, work.ctx)),
        )
        part = work.folder / "rows" / f"{i:06d}.parquet"
        part.parent.mkdir(exist_ok=True)
        (compute(numbered, work.ctx, only=wanted) if wanted else numbered).write_parquet(part)
        work.parts.append(part)
        offset += chunk.height
        del chunk, numbered
        work.step()


def _bucket(columns: list[str], schema: pl.Schema, buckets: int) -> pl.Expr:
    """Equal entity values (as `entity_key` compares them) share a bucket; rows with none
    share one too."""
    return (entity_key(columns, schema).fill_null(0) % buckets).cast(pl.Int64).alias(BUCKET)


def _write_result(frame: pl.DataFrame, names: list[str], path: Path, work: Work) -> None:
    """Row-numbered result columns, sorted by row number, in small row groups so that a
    chunk's rows are read back without the rest."""
    group = max(1024, work.split.chunk_rows // max(work.split.buckets, 1) // 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.select([ROW, *names]).sort(ROW).write_parquet(path, row_group_size=group)


def node(entity: str) -> str:
    return f"__riskctl_node_{entity}"


def entity_pass(work: Work, entity: str, names: list[str]) -> None:
    """Split the columns the entity's windows read into hash buckets, then compute the
    windows one bucket at a time; each value also gets its node number for the rings
    (dense over the buckets: a bucket holds every row of its values)."""
    spec = work.ctx.spec
    keys = entity_columns(spec.entities, entity)
    feats = [f for f in spec.features if f.name in names]
    sources = [getattr(f, f.kind) for f in feats if f.kind in ("sum", "mean", "distinct")]
    sources += [f.count for f in feats if f.kind == "count" and f.count != "rows"]
    lf = pl.scan_parquet(work.parts)
    schema = lf.collect_schema()
    wanted = [c for c in dict.fromkeys([ROW, spec.time, *keys, *sources]) if c in schema]
    inbox, outbox = work.folder / f"in-{entity}", work.folder / f"out-{entity}"
    lf.select(wanted).with_columns(_bucket(keys, schema, work.split.buckets)).sink_parquet(
        pl.PartitionBy(inbox, key=BUCKET, include_key=False)
    )
    offset = 0
    for folder in sorted(inbox.iterdir()):
        bucket = pl.read_parquet(folder)
        result = compute(bucket, work.ctx, only=set(names))
        codes = entity_codes(bucket, entity, work.ctx)
        valid = codes != NULL
        values, dense = np.unique(codes[valid], return_inverse=True)
        nodes = np.full(len(codes), NULL, dtype=np.int64)
        nodes[valid] = dense.reshape(-1) + offset
        offset += len(values)
        result = result.with_columns(pl.Series(node(entity), nodes))
        _write_result(result, [*names, node(entity)], outbox / f"{folder.name}.parquet", work)
        shutil.rmtree(folder)
        work.step()
    work.nodes[entity] = offset
    work.results.append(outbox)


def ring_pass(work: Work, names: list[str]) -> None:
    """Each ring replayed one time range at a time (see `ring_stream`), from the node
    numbers the entity passes gave each row."""
    from riskctl.features.ring_stream import ring_slices

    for f in work.ctx.spec.features:
        if f.name not in names or f.ring is None:
            continue
        entities = [f.ring.nodes, *f.ring.links]
        counts = [work.nodes[e] for e in entities]
        inbox, outbox = work.folder / f"in-{f.name}", work.folder / f"out-{f.name}"
        nodes = [node(e) for e in entities]
        times = pl.scan_parquet(work.parts).select(US)
        span = times.select(pl.col(US).min().alias("lo"), pl.col(US).max().alias("hi")).collect()
        slices = ring_slices(
            f,
            _ring_rows(work, nodes, f.label),
            counts,
            (ROW, US, nodes),
            (span[0, 0], span[0, 1]),
            inbox,
            work.split.buckets,
        )
        for i, frame in enumerate(slices):
            _write_result(frame, [f.name], outbox / f"{i:06d}.parquet", work)
            work.step()
        work.results.append(outbox)


def _ring_rows(work: Work, nodes: list[str], label: str | None) -> Iterator[pl.DataFrame]:
    """Per chunk, in row order: row number, time, the ring's node numbers, the label."""
    for part in work.parts:
        chunk = pl.read_parquet(part, columns=[ROW, US, *([label] if label else [])])
        for folder in work.results:
            have = pl.read_parquet_schema(next(folder.glob("*.parquet"))).keys()
            if any(n in have for n in nodes):
                chunk = _attach(chunk, folder, [n for n in nodes if n in have])
        yield chunk


def _attach(chunk: pl.DataFrame, folder: Path, columns: list[str] | None = None) -> pl.DataFrame:
    """The chunk with a pass's result columns for its rows (all, or `columns`)."""
    lo, hi = chunk[ROW][0], chunk[ROW][-1]
    got = (
        pl.scan_parquet(sorted(folder.glob("*.parquet")))
        .filter(pl.col(ROW).is_between(lo, hi))
        .select(pl.all() if columns is None else [ROW, *columns])
        .collect()
        .sort(ROW)
    )
    if got.height != chunk.height:  # every row has exactly one result in each pass
        raise DataError(f"derived features lost rows ({got.height} of {chunk.height})")
    return chunk.hstack(got.drop(ROW))


def last_pass(
    work: Work, writer: BatchWriter, wanted: set[str], skip: int, columns: list[str]
) -> tuple[int, pl.Schema, list[pl.DataFrame]]:
    """Join each chunk with its window and ring columns and write it, in row order."""
    rows, stats, schema = 0, [], pl.Schema()
    for part in work.parts:
        chunk = pl.read_parquet(part)
        for folder in work.results:
            chunk = _attach(chunk, folder)
        if wanted:
            chunk = compute(chunk, work.ctx, only=wanted)
        chunk = chunk.filter(pl.col(ROW) >= skip).select(columns)
        if chunk.height:
            writer.write(chunk)
            rows += chunk.height
            stats.append(_stats(chunk, work.ctx.spec.names))
            schema = chunk.schema
        part.unlink()
        work.step()
    return rows, schema, stats


def _stats(chunk: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Per derived column: nulls, and min and max of the numeric ones (merged later)."""
    exprs = []
    for n in names:
        exprs.append(pl.col(n).null_count().cast(pl.Int64).alias(f"{n}/nulls"))
        if chunk[n].dtype.is_numeric():
            exprs.append(pl.col(n).min().cast(pl.Float64).alias(f"{n}/min"))
            exprs.append(pl.col(n).max().cast(pl.Float64).alias(f"{n}/max"))
    return chunk.select(exprs)


def check(ctx: Context, lf: pl.LazyFrame) -> None:
    """Before any pass: the spec against the whole table's columns (every message as when
    computing all at once), on its first rows; and missing event times, counted over all
    rows."""
    time, schema = ctx.spec.time, lf.collect_schema()
    if time not in schema or not schema[time].is_temporal():
        compute(lf.head(1000).collect(), ctx)  # names the column or its type, as always
    nulls = lf.select(
        pl.col(time).null_count().alias("n"), pl.col(time).is_null().arg_max().alias("first")
    ).collect()
    if nulls["n"][0]:
        raise DataError(
            f"time column '{time}' has {nulls['n'][0]} missing or unreadable values "
            f"(first in row "
            f"{nulls['first'][0] + 1})",
            hint="drop or fill rows without an event time",
        )
    compute(lf.head(1000).collect(), ctx)


@dataclass(frozen=True)
class BoundedResult:
    rows: int
    context_rows: int
    schema: pl.Schema  # of the written table
    stats: pl.DataFrame  # per derived column: nulls, min, max (see `_stats`)


def run_bounded(
    ctx: Context,
    lf: pl.LazyFrame,
    skip: int,
    out: Path,
    split: ChunkPlan,
    progress: Progress | None = None,
    hidden: list[str] | None = None,
) -> BoundedResult:
    """Compute the spec for the table `lf` (its first `skip` rows are context,
    not written) into `out`, holding one chunk or bucket at a time; `hidden` columns are
    read but not written."""
    spec = ctx.spec
    check(ctx, lf)
    steps = plan(spec)
    names = lf.collect_schema().names()
    columns = [c for c in names if c not in spec.names and c not in (hidden or [])] + spec.names
    chunks = -(-int(lf.select(pl.len()).collect().item()) // split.chunk_rows)
    folder = partial_dir(f".{out.name}.work-", out.parent)
    work = Work(ctx, folder, split, progress=progress)
    work.total = 2 * chunks + (len(steps.per_entity) + len(steps.rings)) * split.buckets
    try:
        first_pass(work, lf.drop([n for n in spec.names if n in names]), steps.first)
        for entity, feats in steps.per_entity.items():
            entity_pass(work, entity, feats)
        if steps.rings:
            ring_pass(work, steps.rings)
        with BatchWriter(out) as writer:
            rows, schema, stats = last_pass(work, writer, steps.last, skip, columns)
            if not stats:
                raise DataError(f"{out}: nothing to write (no rows)")
            writer.finish()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        untrack_partial(folder)
    merged = pl.concat(stats, how="vertical_relaxed")
    summary = merged.select(
        pl.col(c).sum()
        if c.endswith("/nulls")
        else pl.col(c).min()
        if c.endswith("/min")
        else pl.col(c).max()
        for c in merged.columns
    )
    return BoundedResult(rows, skip, schema, summary)
