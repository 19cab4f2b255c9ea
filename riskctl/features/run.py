"""`riskctl features`: read a table, add the spec's derived columns, write the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.io import read_table, table_format, write_table
from riskctl.errors import UsageError
from riskctl.features import add_features
from riskctl.features.spec import load_spec

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
    history_rows: int
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


def features_file(
    spec: Path,
    data: Path,
    out: Path,
    history: Path | None = None,
    progress: Progress | None = None,
) -> FeaturesRun:
    """Compute the spec's features for `data` (with `history` as earlier context) into `out`."""
    table_format(out)
    for source in (spec, data, history):
        if source is not None and Path(source).resolve() == Path(out).resolve():
            raise UsageError(
                f"--out {out} is one of the inputs", hint="write the result to a new file"
            )
    loaded = load_spec(spec)
    frame = read_table(data)
    earlier = read_table(history) if history is not None else None
    applied = add_features(frame, loaded, history=earlier, progress=progress)
    write_table(applied.frame, out)
    kinds = {f.name: f.kind for f in loaded.model.features}
    kinds |= {lk.name: "lookup" for lk in loaded.model.lookups}
    return FeaturesRun(
        out,
        applied.frame.height,
        applied.history_rows,
        [_summary(applied.frame, n, kinds[n]) for n in loaded.model.names],
    )
