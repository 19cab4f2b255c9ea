"""Compile a features spec against a table and compute its columns, point-in-time."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.dates import DAY_US, date_format, unreadable_example
from riskctl.errors import ConfigError, DataError, Location, first_line, name_list
from riskctl.features import lookups, rings, windows
from riskctl.features.index import NULL, RowIndex, Timeline, codes
from riskctl.features.spec import DURATION_UNITS, Feature, FeatureSpec, window_seconds
from riskctl.sqlsafe import sql_expr
from riskctl.yamlconfig import LoadedYaml

Progress = Callable[[int, int], None]
# expression nodes that read other rows: a row-level expression must not contain them
_NOT_ROW_LEVEL = {"Agg", "Window", "Over", "Len", "Slice", "Gather", "Sort", "SortBy", "Filter"}
_NOT_ROW_FUNCS = ("Cum", "Shift", "Diff", "Rank", "Reverse", "Rolling", "Unique", "Mode")


@dataclass
class Context:
    spec: FeatureSpec
    loaded: LoadedYaml[FeatureSpec] | None
    base: Path
    times: np.ndarray | None = None  # the event times of the frame being computed
    timeline: Timeline | None = None  # their order, sorted once when a window needs it
    indexes: dict[str, RowIndex] = field(default_factory=dict)  # per entity, built once
    value_codes: dict[str, np.ndarray] = field(default_factory=dict)  # per distinct column

    def where(self, *key: str | int) -> Location | None:
        return self.loaded.where(*key) if self.loaded else None


def _unknown(what: str, name: str, known: list[str], where: Location | None) -> ConfigError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known: {name_list(known)}"
    return ConfigError(f"unknown {what} '{name}'", where, hint=hint)


def event_times(frame: pl.DataFrame, ctx: Context) -> np.ndarray:
    """The time column as int64 microseconds; strings are parsed, anything else refused."""
    name, where = ctx.spec.time, ctx.where("time")
    if name not in frame.columns:
        raise _unknown("time column", name, frame.columns, where)
    col = frame[name]
    if col.dtype == pl.String:
        fmt = date_format(col)
        if fmt is None:
            sample = unreadable_example(col) or next(iter(col.drop_nulls().head(1)), None)
            raise ConfigError(
                f"time column '{name}' does not parse as dates (e.g. {sample!r})"
                if sample is not None
                else f"time column '{name}' is empty",
                where,
                hint="use ISO times like 2026-06-01 12:30:00",
            )
        parsed = col.str.strip_chars().str.to_datetime(fmt, strict=False, exact=True)
        bad = parsed.is_null() & col.is_not_null()
        if bad.any():
            raise ConfigError(
                f"time column '{name}': {col.filter(bad)[0]!r} does not parse as {fmt}", where
            )
        col = parsed
    if col.dtype == pl.Date:
        col = col.cast(pl.Datetime("us"))
    if not isinstance(col.dtype, pl.Datetime):
        raise ConfigError(
            f"time column '{name}' holds {col.dtype}, not dates or times",
            where,
            hint="point `time:` at a datetime column",
        )
    if col.null_count():
        first = int(col.is_null().arg_max() or 0)
        raise DataError(
            f"time column '{name}' has {col.null_count()} missing or unreadable values "
            f"(first in row "
            f"{first + 1})",
            hint="drop or fill rows without an event time",
        )
    if getattr(col.dtype, "time_zone", None):  # aware times: compare instants, in UTC
        col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return col.dt.cast_time_unit("us").cast(pl.Int64).to_numpy()


def _check_row_level(expr: pl.Expr, feature: Feature, where: Location | None) -> None:
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return any(
                k in _NOT_ROW_LEVEL or k.startswith(_NOT_ROW_FUNCS) or walk(v)
                for k, v in node.items()
            )
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return isinstance(node, str) and node.startswith(_NOT_ROW_FUNCS)

    if walk(json.loads(expr.meta.serialize(format="json"))):
        raise ConfigError(
            f"feature '{feature.name}': `expr` must be row-level (no aggregates, windows or "
            "shifts)",
            where,
            hint="use count/sum/mean/distinct with `per:` for values over other rows",
        )


def expression(frame: pl.DataFrame, feature: Feature, ctx: Context, i: int) -> pl.Series:
    where = ctx.where("features", i, "expr")
    assert feature.expr is not None
    try:
        expr = sql_expr(feature.expr, where, "`expr`")
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(f"feature '{feature.name}': bad SQL: {first_line(exc)}", where) from None
    for column in expr.meta.root_names():
        if column not in frame.columns:
            raise _missing_column(column, frame.columns, ctx, where)
    _check_row_level(expr, feature, where)
    try:
        out = frame.select(expr.alias(feature.name)).to_series()
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(f"feature '{feature.name}': {first_line(exc)}", where) from None
    if isinstance(out.dtype, pl.Duration):
        out = out.dt.total_microseconds() / 1e6
    if isinstance(out.dtype, pl.Decimal):  # `a * 1.0 / b` in SQL: a ratio, not a category
        out = out.cast(pl.Float64)
    if out.len() != frame.height:
        raise ConfigError(f"feature '{feature.name}': `expr` must give one value per row", where)
    return out


def _column(frame: pl.DataFrame, name: str, ctx: Context, *key: str | int) -> pl.Series:
    if name not in frame.columns:
        raise _missing_column(name, frame.columns, ctx, ctx.where(*key))
    return frame[name]


def _missing_column(
    name: str, columns: list[str], ctx: Context, where: Location | None
) -> ConfigError:
    """Unknown, or a feature the spec defines further down (features read the data and the
    features above them)."""
    later = [i for i, f in enumerate(ctx.spec.features) if f.name == name]
    if later:
        line = ctx.where("features", later[0], "name")
        at = f" (line {line.line})" if line is not None and line.line else ""
        return ConfigError(
            f"'{name}' is a feature defined further down{at}",
            where,
            hint="a feature reads the data's columns and the features above it: move it up",
        )
    return _unknown("column", name, columns, where)


def _entity(frame: pl.DataFrame, entity: str, ctx: Context, *key: str | int) -> np.ndarray:
    if entity not in ctx.spec.entities:
        raise _unknown("entity", entity, list(ctx.spec.entities), ctx.where(*key))
    columns = ctx.spec.entities[entity]
    if isinstance(columns, str):
        return codes(_column(frame, columns, ctx, "entities", entity))
    combined = np.zeros(frame.height, dtype=np.int64)
    for j, column in enumerate(columns):  # a composite key: null when any part is null
        part = codes(_column(frame, column, ctx, "entities", entity, j))
        missing = (combined == NULL) | (part == NULL)
        combined = combined * (part.max(initial=0) + 1) + part
        combined = codes(
            pl.Series(np.where(missing, 0, combined)).scatter(np.flatnonzero(missing), None)
        )
    return combined


def entity_codes(frame: pl.DataFrame, entity: str, ctx: Context) -> np.ndarray:
    """Integer codes of an entity's values in `frame` (-1 where missing)."""
    return _entity(frame, entity, ctx, "entities", entity)


def _index(frame: pl.DataFrame, entity: str, ctx: Context, *key: str | int) -> RowIndex:
    if entity not in ctx.indexes:
        if ctx.timeline is None:
            assert ctx.times is not None
            ctx.timeline = Timeline(ctx.times)
        ctx.indexes[entity] = RowIndex(_entity(frame, entity, ctx, *key), ctx.timeline)
    return ctx.indexes[entity]


def windowed(frame: pl.DataFrame, f: Feature, ctx: Context, i: int) -> pl.Series:
    index = _index(frame, f.per or "", ctx, "features", i, "per")
    window = window_seconds(f.window)
    w_us = None if window is None else window * 1_000_000
    kind = f.kind
    if kind in ("since_first", "since_last"):
        unit = DURATION_UNITS[getattr(f, kind)]
        return windows.since(f.name, index, kind.removeprefix("since_"), unit)
    source = getattr(f, kind)
    if kind == "count" and source == "rows":
        return windows.count_rows(f.name, index, w_us)
    values = _column(frame, source, ctx, "features", i, kind)
    if kind == "distinct":
        if source not in ctx.value_codes:
            ctx.value_codes[source] = codes(values)
        return windows.count_distinct(f.name, index, ctx.value_codes[source], w_us)
    if kind in ("sum", "mean") and not (values.dtype.is_numeric() or values.dtype == pl.Boolean):
        raise ConfigError(
            f"feature '{f.name}': cannot {kind} column '{source}' of type {values.dtype}",
            ctx.where("features", i, kind),
            hint="sum and mean need a numeric column; count or distinct count the others",
        )
    return windows.sum_values(f.name, index, values, w_us, kind)


def bad_labels(label: pl.Series, f: Feature, where: Location | None) -> pl.Series:
    """A ring's label column as bad (True) or not; anything but 0/1 (or empty) refused."""
    if not (label.dtype.is_numeric() or label.dtype == pl.Boolean):
        raise ConfigError(
            f"feature '{f.name}': label column '{f.label}' is {label.dtype}, not 0/1", where
        )
    as_float = label.cast(pl.Float64)
    other = as_float.is_not_null() & ~as_float.is_in([0.0, 1.0])
    if other.any():
        raise ConfigError(
            f"label column '{f.label}' has {int(other.sum()):,} values other than 0 and 1 "
            f"(e.g. {label.filter(other)[0]!r})",
            where,
            hint="labels are 1 = bad, 0 = good, empty where unknown",
        )
    return (as_float == 1.0).fill_null(False)


def ring(frame: pl.DataFrame, f: Feature, ctx: Context, i: int, t: np.ndarray) -> pl.Series:
    assert f.ring is not None
    nodes = _entity(frame, f.ring.nodes, ctx, "features", i, "ring", "nodes")
    if f.ring.nodes in f.ring.links:
        raise ConfigError(
            f"feature '{f.name}': `{f.ring.nodes}` cannot both be the nodes and a link",
            ctx.where("features", i, "ring", "links"),
        )
    links = [
        _entity(frame, e, ctx, "features", i, "ring", "links", j)
        for j, e in enumerate(f.ring.links)
    ]
    bad = None
    if f.label is not None:
        if f.label not in frame.columns:
            raise ConfigError(
                f"the ring's bad rate reads labels from column '{f.label}', which the data lacks",
                ctx.where("features", i, "label"),
                hint="pass --history with labelled earlier rows (new rows need no label), or "
                f"add an empty '{f.label}' column",
            )
        label = _column(frame, f.label, ctx, "features", i, "label")
        bad = bad_labels(label, f, ctx.where("features", i, "label")).to_numpy()
    maturity = int(round((f.label_maturity_days or 0) * DAY_US))
    return rings.ring_features(f.name, t, nodes, links, f.ring.measure, bad, maturity)


def reads_of(f: Feature) -> list[str]:
    """The columns a feature reads (an expression's, if it parses: errors come later)."""
    if f.kind == "expr":
        try:
            return sql_expr(f.expr or "", None, "`expr`").meta.root_names()
        except pl.exceptions.PolarsError:
            return []
    if f.kind == "ring":
        return [f.label] if f.label else []
    source = getattr(f, f.kind)
    return [source] if f.kind in ("count", "distinct", "sum", "mean") and source != "rows" else []


def _check_shadowing(columns: list[str], ctx: Context) -> None:
    """A derived column may replace a data column of its name only when the data is the
    spec's own output (it has every derived column) or nothing in the spec reads it:
    otherwise a feature would silently read the derived values, or the time, an entity or
    a key would vanish."""
    spec, present = ctx.spec, set(columns)
    entity_columns = {c for v in spec.entities.values() for c in ([v] if isinstance(v, str) else v)}
    read = {spec.time, *entity_columns, *(lk.key for lk in spec.lookups)}
    if not all(name in present for name in spec.names):
        read |= {column for f in spec.features for column in reads_of(f)}
    named = [("lookups", j, lk.name) for j, lk in enumerate(spec.lookups)]
    named += [("features", i, f.name) for i, f in enumerate(spec.features)]
    for section, j, name in named:
        if name in present and name in read:
            raise ConfigError(
                f"'{name}' is a column of the data that the spec reads; a derived column "
                "of that name would replace it",
                ctx.where(section, j, "name"),
                hint="give the derived column another name",
            )


def compute(
    frame: pl.DataFrame,
    ctx: Context,
    progress: Progress | None = None,
    only: set[str] | None = None,
) -> pl.DataFrame:
    """`frame` with the spec's lookups and features added, in spec order (later features
    may use earlier ones). Existing columns of the same names are replaced. With `only`,
    just those lookups and features (the others are neither computed nor dropped)."""
    spec = ctx.spec
    wanted = set(spec.names) if only is None else only
    if only is None:  # a part (`only`) runs on frames holding other parts' derived columns
        _check_shadowing(frame.columns, ctx)
    frame = frame.drop([n for n in spec.names if n in frame.columns and n in wanted])
    t = event_times(frame, ctx)
    ctx.times, ctx.timeline, ctx.indexes, ctx.value_codes = t, None, {}, {}
    total, done = len(wanted), 0
    for j, lookup in enumerate(spec.lookups):
        if lookup.name not in wanted:
            continue
        key = _column(frame, lookup.key, ctx, "lookups", j, "key")
        where = ctx.where("lookups", j, "table")
        frame = frame.with_columns(lookups.lookup_column(lookup, ctx.base, key, where))
        done += 1
        if progress:
            progress(done, total)
    for i, f in enumerate(spec.features):
        if f.name not in wanted:
            continue
        if f.kind == "expr":
            column = expression(frame, f, ctx, i)
        elif f.kind == "ring":
            column = ring(frame, f, ctx, i, t)
        else:
            column = windowed(frame, f, ctx, i)
        frame = frame.with_columns(column.alias(f.name))
        _release(ctx, f, i, wanted)
        done += 1
        if progress:
            progress(done, total)
    return frame


def _release(ctx: Context, done: Feature, i: int, wanted: set[str]) -> None:
    """Free an entity's index, or a column's value codes, after the last feature using it:
    peak memory then holds one entity's index at a time when the spec groups by entity."""
    later = [f for f in ctx.spec.features[i + 1 :] if f.name in wanted]
    if done.per and all(f.per != done.per for f in later):
        ctx.indexes.pop(done.per, None)
    if done.distinct and all(f.distinct != done.distinct for f in later):
        ctx.value_codes.pop(done.distinct, None)
