"""`riskctl features`: read a table, add the spec's derived columns, write the result."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.io import read_table, scan_table, table_format, write_table
from riskctl.data.memory import MEMORY_ENV, available_memory
from riskctl.data.memory import memory_limit as memory_limit_of_env
from riskctl.errors import DataError, UsageError, first_line
from riskctl.features import add_features
from riskctl.features.bounded import BoundedResult, run_bounded
from riskctl.features.budget import in_memory_bytes, row_bytes
from riskctl.features.budget import split as plan_split
from riskctl.features.compute import Context
from riskctl.features.context import WithContext, with_context
from riskctl.features.spec import FeatureSpec, load_spec

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FeatureSummary:
    name: str
    kind: str
    dtype: str
    nulls: int
    min: float | None
    max: float | None


@dataclass(frozen=True)
class FeaturesRun:
    out: Path
    rows: int
    context_rows: int
    shared_rows: int  # context rows the data has too: counted once
    features: list[FeatureSummary]


def _summary(frame: pl.DataFrame, name: str, kind: str) -> FeatureSummary:
    col = frame[name]
    numeric = col.dtype.is_numeric()
    lo = col.min() if numeric else None
    hi = col.max() if numeric else None
    return FeatureSummary(
        name,
        kind,
        str(col.dtype),
        col.null_count(),
        float(lo) if isinstance(lo, int | float) else None,
        float(hi) if isinstance(hi, int | float) else None,
    )


def _bounded_summary(result: BoundedResult, name: str, kind: str) -> FeatureSummary:
    stats = result.stats
    lo = stats[f"{name}/min"][0] if f"{name}/min" in stats.columns else None
    hi = stats[f"{name}/max"][0] if f"{name}/max" in stats.columns else None
    return FeatureSummary(
        name, kind, str(result.schema[name]), int(stats[f"{name}/nulls"][0]), lo, hi
    )


def _table(data: Path, context: Path | None, spec: FeatureSpec) -> WithContext:
    """The rows to compute over, lazily: context first (aligned to the data's columns, as
    `add_features` does), then the data."""
    lf = scan_table(data)
    if context is None:
        return WithContext(lf, 0, 0, [])
    try:
        return with_context(lf, scan_table(context), spec)
    except pl.exceptions.PolarsError as exc:
        raise DataError(
            f"context and data do not fit together: {first_line(exc)}",
            hint="pass context with the same columns and types as the data",
        ) from None


def _size(lf: pl.LazyFrame, data: Path, context: Path | None) -> tuple[int, float]:
    """Rows, and bytes per row in memory; a context that does not fit the data is named."""
    try:
        return int(lf.select(pl.len()).collect().item()), row_bytes(lf)
    except pl.exceptions.PolarsError as exc:
        if context is not None:
            raise DataError(
                f"context and data do not fit together: {first_line(exc)}",
                hint="pass context with the same columns and types as the data",
            ) from None
        raise DataError(f"{data}: cannot read: {first_line(exc)}") from None


def features_file(
    spec: Path,
    data: Path,
    out: Path,
    context: Path | None = None,
    progress: Progress | None = None,
    memory_limit: int | None = None,
) -> FeaturesRun:
    """Compute the spec's features for `data` (with `context`: earlier events) into `out`.

    When the whole table would need more than `memory_limit` bytes (default: most of the
    memory available now), the work runs in bounded passes (`riskctl.features.bounded`)
    with the same results."""
    table_format(out)
    for source in (spec, data, context):
        if source is not None and Path(source).resolve() == Path(out).resolve():
            raise UsageError(
                f"--out {out} is one of the inputs", hint="write the result to a new file"
            )
    loaded = load_spec(spec)
    kinds = {f.name: f.kind for f in loaded.model.features}
    kinds |= {lk.name: "lookup" for lk in loaded.model.lookups}
    joined = _table(Path(data), Path(context) if context is not None else None, loaded.model)
    lf, skip = joined.rows, joined.context_rows
    rows, width = _size(lf, data, context)
    if memory_limit is not None:
        limit = memory_limit
    elif os.environ.get(MEMORY_ENV):
        limit = memory_limit_of_env()
    else:
        limit = int(available_memory() * 0.6)
    if in_memory_bytes(rows, width, loaded.model) > limit:
        ctx = Context(loaded.model, loaded, loaded.path.parent)
        split = plan_split(rows, width, loaded.model, limit)
        try:
            result = run_bounded(ctx, lf, skip, Path(out), split, progress, joined.added)
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"{data}: cannot derive features: {first_line(exc)}") from None
        summaries = [_bounded_summary(result, n, kinds[n]) for n in loaded.model.names]
        return FeaturesRun(
            Path(out), result.rows, result.context_rows, joined.shared_rows, summaries
        )
    # the budget above has decided the table fits: read it without a second check
    frame = read_table(data, copies=None)
    earlier = read_table(context, copies=None) if context is not None else None
    applied = add_features(frame, loaded, context=earlier, progress=progress)
    write_table(applied.frame, out)
    return FeaturesRun(
        out,
        applied.frame.height,
        applied.context_rows,
        applied.shared_rows,
        [_summary(applied.frame, n, kinds[n]) for n in loaded.model.names],
    )
