"""Point-in-time derived features from raw events: entity windows, rings and lookups.

`add_features` is the one entry point: the `features` command, training and every command
that scores raw data call it, so a detector sees the same columns computed the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.errors import DataError, first_line
from riskctl.features.compute import Context, compute, event_times
from riskctl.features.context import with_context
from riskctl.features.spec import Feature, FeatureSpec, load_spec
from riskctl.yamlconfig import KeyPath, LoadedYaml

__all__ = [
    "Feature",
    "FeatureSpec",
    "FeaturesApplied",
    "add_features",
    "compute_features",
    "event_time_us",
    "load_spec",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FeaturesApplied:
    frame: pl.DataFrame
    added: list[str]
    computed: bool  # False when the table already had every derived column
    context_rows: int
    shared_rows: int = 0  # context rows left out: the data has them too


def add_features(
    data: pl.DataFrame,
    spec_path: Path | LoadedYaml[FeatureSpec],
    context: pl.DataFrame | None = None,
    progress: Progress | None = None,
    reuse_existing: bool = False,
    outcomes: tuple[str | None, ...] = (),
) -> FeaturesApplied:
    """`data` with the spec's derived columns. `context` rows (earlier events the new rows
    need as context) take part in every window and ring but are not returned. With
    `reuse_existing`, a table that already has every derived column is returned as it is.
    `outcomes`: columns, besides the spec's, that a context row repeating a data row may
    differ in (see `features.context`)."""
    loaded = spec_path if isinstance(spec_path, LoadedYaml) else load_spec(spec_path)
    spec = loaded.model
    if reuse_existing and all(name in data.columns for name in spec.names):
        return FeaturesApplied(data, spec.names, False, 0)
    ctx = Context(spec, loaded, loaded.path.parent)
    frame, n_hist, added, shared = data, 0, [], 0
    if context is not None and context.height:
        try:
            joined = with_context(data.lazy(), context.lazy(), spec, outcomes)
            frame = joined.rows.collect()
        except pl.exceptions.PolarsError as exc:
            raise DataError(
                f"context and data do not fit together: {first_line(exc)}",
                hint="pass context with the same columns and types as the data",
            ) from None
        n_hist, added, shared = joined.context_rows, joined.added, joined.shared_rows
    out = compute(frame, ctx, progress)
    return FeaturesApplied(out.slice(n_hist).drop(added), spec.names, True, n_hist, shared)


def compute_features(
    frame: pl.DataFrame, loaded: LoadedYaml[FeatureSpec], names: list[str]
) -> pl.DataFrame:
    """`frame` with only the named derived columns of the spec, computed as `add_features`
    computes them (the columns they read, derived ones included, must be in `frame`). For
    engines that split the work, e.g. by entity on a cluster; errors still name the spec's
    own lines."""
    spec, wanted = loaded.model, set(names)
    unknown = wanted - set(spec.names)
    if unknown:
        raise ValueError(f"not features of the spec: {sorted(unknown)}")
    keep = {
        "lookups": [i for i, lk in enumerate(spec.lookups) if lk.name in wanted],
        "features": [i for i, f in enumerate(spec.features) if f.name in wanted],
    }
    part = spec.model_copy(
        update={
            "lookups": [spec.lookups[i] for i in keep["lookups"]],
            "features": [spec.features[i] for i in keep["features"]],
        }
    )
    lines: dict[KeyPath, int] = {}
    for key, line in loaded.lines.items():
        if len(key) > 1 and key[0] in keep and isinstance(key[1], int):
            if key[1] not in keep[str(key[0])]:
                continue
            key = (key[0], keep[str(key[0])].index(key[1]), *key[2:])
        lines[key] = line
    ctx = Context(part, LoadedYaml(part, loaded.path, lines), loaded.path.parent)
    return compute(frame, ctx)


def event_time_us(frame: pl.DataFrame, loaded: LoadedYaml[FeatureSpec]) -> np.ndarray:
    """The spec's time column as int64 microseconds (UTC for aware times), as every window
    and ring reads it; the same checks and messages."""
    return event_times(frame, Context(loaded.model, loaded, loaded.path.parent))
