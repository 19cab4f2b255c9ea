"""The tasks of `features` on a cluster. Every row carries a row number (its part's index in
the high 32 bits, its place in the part in the low ones), so rows of a part come back in order.

* `part_task`: read a part (context parts first), join the columns earlier exchanges computed,
  compute the row-level columns, and send each exchange what it reads: a file per hash
  bucket of the entity's value (rows without a value spread by row number), or for a ring
  the part's distinct links and first bad labels.
* `exchange_task`: one bucket's rows, in row order, through the one-machine computation, the
  columns going back as a file per part; or a ring's index built from every part's links
  (`features_rings.py`), which the next pass's part tasks answer their rows from.

Exchange files live in a scratch folder beside the output, which every worker can reach (as
the output itself must be).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.io import read_table, scan_table
from riskctl.distributed.features_plan import Exchange
from riskctl.distributed.features_rings import build_ring, ring_column, send_ring
from riskctl.errors import ClusterError, DataError
from riskctl.features import FeatureSpec, compute_features, event_time_us
from riskctl.features.index import KEY_SEED, entity_key
from riskctl.yamlconfig import LoadedYaml

ROW = "__riskctl_row"


@dataclass(frozen=True)
class PartJob:
    """What one part task does in one pass."""

    index: int  # the part's place among context parts then data parts
    source: Path  # the input part
    current: Path | None  # the part with earlier passes' columns, None: the input itself
    schema: dict[str, pl.DataType]  # the data's columns: context parts are shaped to them
    merge: list[tuple[Exchange, Path]]  # what the previous pass's exchanges computed
    row: list[str]  # row-level columns to compute in this pass
    exchanges: list[tuple[Exchange, Path]]  # where to send each exchange's columns
    buckets: int
    out: Path | None  # where to write the part; None: keep `current`
    final: bool  # the output part: no row numbers
    context: bool = False  # a part of the earlier context, never written out
    extra: dict[str, pl.DataType] | None = None  # ring labels only the context has


@dataclass(frozen=True)
class PartStats:
    rows: int
    columns: dict[str, tuple[str, int, float | None, float | None]]  # dtype, nulls, min, max


def _read(job: PartJob) -> pl.DataFrame:
    if job.current is not None:
        return pl.read_parquet(job.current)
    frame = read_table(job.source)
    extra = job.extra or {}
    if job.context:  # shaped as the data, as on one machine: the columns it lacks null
        missing = [c for c in job.schema if c not in frame.columns]
        frame = frame.with_columns(pl.lit(None, dtype=job.schema[c]).alias(c) for c in missing)
        frame = frame.select([*job.schema, *extra])
    else:  # a label only the context has is unknown on the data's rows
        frame = frame.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in extra.items())
    start = job.index << 32
    return frame.with_columns(pl.int_range(start, start + frame.height, dtype=pl.Int64).alias(ROW))


def merge_columns(frame: pl.DataFrame, folder: Path, index: int) -> pl.DataFrame:
    """`frame` with the columns an exchange computed for its rows, in its row order."""
    pieces = sorted(folder.glob(f"p{index:05d}-*.parquet"))
    if not pieces:
        if frame.height:
            raise ClusterError(f"features: the exchange in {folder} lost part {index}'s rows")
        return frame
    got = pl.concat([pl.read_parquet(p) for p in pieces], how="vertical_relaxed").sort(ROW)
    if got.height != frame.height or not got[ROW].equals(frame[ROW]):
        raise ClusterError(f"features: the exchange in {folder} lost rows of part {index}")
    return frame.drop([c for c in got.columns if c != ROW and c in frame.columns]).hstack(
        got.drop(ROW)
    )


def _bucket_of(frame: pl.DataFrame, keys: list[str], buckets: int) -> pl.Series:
    """A bucket per row: by its entity's key (`entity_key`); rows without one by row number."""
    key = entity_key(keys, frame.schema)
    spread = pl.col(ROW).hash(KEY_SEED) % buckets
    return frame.select(pl.coalesce(key % buckets, spread).alias("b")).to_series()


def send(frame: pl.DataFrame, job: PartJob, loaded: LoadedYaml[FeatureSpec]) -> None:
    for exchange, folder in job.exchanges:  # folders made by the client: a task still running
        if exchange.gathered:  # after a failure finds them gone and writes nothing
            for name in exchange.names:
                send_ring(frame, name, loaded, folder, job.index)
        else:
            _scatter(frame, exchange, folder, job.index, job.buckets)


def _scatter(frame: pl.DataFrame, exchange: Exchange, folder: Path, index: int, n: int) -> None:
    cols = frame.select([ROW, *exchange.reads])
    bucket = _bucket_of(cols, exchange.keys, n)
    for (b,), piece in cols.with_columns(bucket).partition_by("b", as_dict=True).items():
        piece.drop("b").write_parquet(folder / f"b{int(b):05d}-p{index:05d}.parquet")


def time_range(part: Path, loaded: LoadedYaml[FeatureSpec]) -> tuple[int | None, int | None]:
    """A part's first and last event time (microseconds); a bad time names the part."""
    frame = scan_table(part).select(loaded.model.time).collect()
    try:
        t = event_time_us(frame, loaded)
    except DataError as exc:
        raise DataError(f"{part}: {exc.message}", exc.hint) from None
    return (int(t.min()), int(t.max())) if len(t) else (None, None)


def part_task(job: PartJob, loaded: LoadedYaml[FeatureSpec]) -> PartStats:
    names = loaded.model.names
    extra = job.extra or {}
    frame = _read(job)
    if job.current is None:  # columns named like derived ones are replaced, as on one machine
        frame = frame.drop([n for n in names if n in frame.columns])
        try:  # times checked where a bad one can be named by part and row
            event_time_us(frame, loaded)
        except DataError as exc:
            raise DataError(f"{job.source}: {exc.message}", exc.hint) from None
    for exchange, folder in job.merge:
        if exchange.gathered:
            rings = [ring_column(frame, name, loaded, folder) for name in exchange.names]
            frame = frame.drop([n for n in exchange.names if n in frame.columns]).with_columns(
                rings
            )
        else:
            frame = merge_columns(frame, folder, job.index)
    if job.row:
        frame = compute_features(frame, loaded, job.row)
    send(frame, job, loaded)
    if not job.final:
        if job.out is not None:
            frame.write_parquet(job.out)
        return PartStats(frame.height, {})
    assert job.out is not None
    lost = [pl.lit(None).alias(n) for n in names if n not in frame.columns]  # an empty part
    frame = frame.with_columns(lost).select(
        [c for c in frame.columns if c not in names and c != ROW and c not in extra] + names
    )
    frame.write_parquet(job.out)
    return PartStats(frame.height, {n: _stats(frame[n]) for n in names})


def _stats(col: pl.Series) -> tuple[str, int, float | None, float | None]:
    lo = col.min() if col.dtype.is_numeric() else None
    hi = col.max() if col.dtype.is_numeric() else None
    as_float = [float(v) if isinstance(v, int | float) else None for v in (lo, hi)]
    return str(col.dtype), col.null_count(), as_float[0], as_float[1]


def exchange_task(
    exchange: Exchange, inputs: list[Path], out: Path, loaded: LoadedYaml[FeatureSpec]
) -> int:
    """A ring's index from the parts' links (`inputs`: the folder), or the windowed columns
    of one bucket's rows (`inputs`: its files, in row order) written back per part."""
    if exchange.gathered:
        _, f = next(
            (i, f) for i, f in enumerate(loaded.model.features) if f.name == exchange.names[0]
        )
        assert f.ring is not None
        return build_ring(inputs[0], out, len(f.ring.links))
    names = exchange.names
    rows = pl.concat([pl.read_parquet(p) for p in inputs], how="vertical_relaxed")
    got = compute_features(rows, loaded, names).select([ROW, *names])
    tag = inputs[0].name.split("-")[0] if "-" in inputs[0].name else "g"
    parts = got.with_columns((pl.col(ROW) // (1 << 32)).alias("_p"))
    for (index,), piece in parts.partition_by("_p", as_dict=True).items():
        piece.drop("_p").write_parquet(out / f"p{int(index):05d}-{tag}.parquet")
    return got.height
