"""Features that drift by construction: their distribution moves with the length of the
history they were computed over, not with the traffic.

A later period has a longer past behind it, so "time since first seen" grows, counts and
sums over all of an entity's history grow, rings gather members, and a shorter first stretch
of rows sees only part of a long window. Such a column shows a large PSI between an earlier
and a later period however stable the traffic is. monitor still shows their PSI, marked, but
leaves them out of the drift verdicts (`max_psi`, `max_missing_rate_increase`,
`max_unseen_share`); a limit set for the column by name in `max_psi_per_feature` still
applies.

Which columns: the detector's derived features (its stored features spec) of kind
`since_first`, `since_last` and `ring`, and `count`, `distinct` and `sum` over `window: all`;
a finite window when it is longer than WINDOW_SHARE of the reference's time span (so that
a material share of the reference's rows see less than a full window); and an `expr` that
reads one of these.

A table whose features were computed before monitor saw it carries no spec; there a numeric
or boolean column drifts by construction when it moves steadily through the reference
itself: cut into CHUNKS runs of equal rows in time order, the last run differs from the
first by a PSI of at least TREND_PSI, and either the runs' means rise (or fall) strictly from
each run to the next, or each run's PSI against the first is larger than the one before.
Stable traffic does neither (the PSI of two samples of the same traffic is far below 0.1,
and strict order by chance has odds of a few percent); a feature that counts or times an
entity's history does both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.features.compute import reads_of
from riskctl.features.spec import Feature, load_spec, window_seconds
from riskctl.features.stored import stored_spec
from riskctl.model.bins import reference_bins
from riskctl.monitor.psi import psi

WINDOW_SHARE = 0.1
_GROWS = {
    "since_first": "time since first seen grows with the history's length",
    "since_last": "gaps and first sightings depend on the history's length",
    "ring": "rings gather members as the history grows",
}


def _reason(f: Feature, span: timedelta | None, inherited: dict[str, str]) -> str | None:
    if f.kind in _GROWS:
        return _GROWS[f.kind]
    if f.kind == "expr":
        source = next((c for c in reads_of(f) if c in inherited), None)
        return f"reads {source}, which drifts by construction" if source else None
    if f.kind not in ("count", "distinct", "sum"):
        return None
    seconds = window_seconds(f.window)
    if seconds is None:
        return f"{f.kind} over all history grows with the history's length"
    if span is not None and timedelta(seconds=seconds) > WINDOW_SHARE * span:
        return (
            f"its {f.window} window is long against the reference's "
            f"{span.total_seconds() / 86_400:.1f} days: early rows see part of it"
        )
    return None


def by_construction(
    detector_dir: Path, manifest: dict[str, Any], span: timedelta | None
) -> dict[str, str]:
    """Derived feature -> why it drifts by construction ({} without a features spec)."""
    spec = stored_spec(detector_dir, manifest)
    if spec is None:
        return {}
    out: dict[str, str] = {}
    for f in load_spec(spec).model.features:
        reason = _reason(f, span, out)
        if reason is not None:
            out[f.name] = reason
    return out


CHUNKS = 5
TREND_PSI = 0.1
MIN_CHUNK_ROWS = 200


def trending(df: pl.DataFrame, time: str | None, columns: list[str]) -> dict[str, str]:
    """Column -> why it drifts by construction, for the numeric and boolean `columns` that
    move steadily through `df` (see the module's text)."""
    if time is None or time not in df.columns or df.height < CHUNKS * MIN_CHUNK_ROWS:
        return {}
    ordered = df.sort(time, maintain_order=True)
    size = ordered.height // CHUNKS
    chunks = [ordered.slice(i * size, size) for i in range(CHUNKS)]
    out = {}
    for c in columns:
        dtype = df.schema[c]
        if dtype.is_numeric() or dtype == pl.Boolean:
            reason = _steady(c, [chunk[c] for chunk in chunks])
            if reason is not None:
                out[c] = reason
    return out


def _steady(column: str, chunks: list[pl.Series]) -> str | None:
    """Why `column` moves steadily through the runs `chunks`, or None."""
    bins = reference_bins(chunks[0])
    first = bins.count(chunks[0])
    away = [psi(first, bins.count(chunk)) for chunk in chunks[1:]]
    if any(a is None for a in away) or (away[-1] or 0.0) < TREND_PSI:
        return None
    raw = [chunk.cast(pl.Float64).fill_nan(None).mean() for chunk in chunks]
    means = np.asarray([m if isinstance(m, float) else np.nan for m in raw])
    steps = np.diff(means)
    monotone = bool((steps > 0).all() or (steps < 0).all())
    widening = bool((np.diff(np.asarray(away, dtype=np.float64)) > 0).all())
    if not (monotone or widening):
        return None
    return (
        f"its distribution moves steadily away from the reference's first rows (PSI "
        f"{away[0]:.3f} to {away[-1]:.3f} over {len(chunks)} runs of rows in time order): "
        "it grows with the history"
    )


def time_span(df: pl.DataFrame | None, time: str | None) -> timedelta | None:
    """The time the table's rows cover; None without a time column."""
    if df is None or time is None or time not in df.columns or df.height == 0:
        return None
    if not df.schema[time].is_temporal():
        return None
    times = df[time].cast(pl.Datetime("us"))
    first, last = times.min(), times.max()
    if isinstance(first, datetime) and isinstance(last, datetime):
        return last - first
    return None
