"""Results as polars DataFrames, for notebooks: one row per metric, rule or swap cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from riskctl.metrics.intervals import Difference, Proportion
from riskctl.simulation.rules import RuleStats
from riskctl.simulation.strategy_metrics import StrategyMetrics

_FLOAT = pl.Float64


def _three(value: Proportion | Difference | float | None) -> tuple[Any, Any, Any]:
    if isinstance(value, Proportion | Difference):
        return value.value, value.low, value.high
    return (None if value is None else float(value)), None, None


def metrics_frame(
    sides: Mapping[str, StrategyMetrics], change: Mapping[str, Difference] | None = None
) -> pl.DataFrame:
    """One row per metric: for each side (e.g. candidate, baseline) its value and 95%
    interval (`<side>`, `<side>_low`, `<side>_high`; no interval for a sum such as expected
    cost), and with `change` the paired difference and its interval (`change`...)."""
    names = list(dict.fromkeys(n for m in sides.values() for n in m.values))
    columns: dict[str, list[Any]] = {"metric": names}
    schema: dict[str, Any] = {"metric": pl.String}
    parts: dict[str, dict[str, Any]] = {
        side: {n: m.values.get(n) for n in names} for side, m in sides.items()
    }
    if change is not None:
        parts["change"] = {n: change.get(n) for n in names}
    for side, values in parts.items():
        triples = [_three(values[n]) for n in names]
        for i, suffix in enumerate(("", "_low", "_high")):
            columns[side + suffix] = [t[i] for t in triples]
            schema[side + suffix] = _FLOAT
    return pl.DataFrame(columns, schema=schema)


def rules_frame(rules: list[RuleStats]) -> pl.DataFrame:
    """One row per rule: action, mode, hits, bad hits, precision with its 95% interval,
    incremental hits and bad hits (rows no earlier decision flagged), bad amount."""
    return pl.DataFrame(
        {
            "rule": [r.name for r in rules],
            "action": [r.action for r in rules],
            "mode": [r.mode for r in rules],
            "hits": [r.hits for r in rules],
            "bad_hits": [r.bad_hits for r in rules],
            "precision": [r.precision.value for r in rules],
            "precision_low": [r.precision.low for r in rules],
            "precision_high": [r.precision.high for r in rules],
            "incremental_hits": [r.incremental_hits for r in rules],
            "incremental_bad": [r.incremental_bad for r in rules],
            "bad_amount": [r.bad_amount for r in rules],
        },
        schema={
            "rule": pl.String,
            "action": pl.String,
            "mode": pl.String,
            "hits": pl.Int64,
            "bad_hits": pl.Int64,
            "precision": _FLOAT,
            "precision_low": _FLOAT,
            "precision_high": _FLOAT,
            "incremental_hits": pl.Int64,
            "incremental_bad": pl.Int64,
            "bad_amount": _FLOAT,
        },
    )


def segments_frame(by: Mapping[str, Mapping[str, StrategyMetrics]]) -> pl.DataFrame:
    """One row per (column, value, metric) of a breakdown (`by=`): value and interval."""
    rows = [
        (column, value, name, *_three(v))
        for column, groups in by.items()
        for value, metrics in groups.items()
        for name, v in metrics.values.items()
    ]
    schema: dict[str, Any] = {"by": pl.String, "value": pl.String, "metric": pl.String}
    schema |= {"estimate": _FLOAT, "low": _FLOAT, "high": _FLOAT}
    return pl.DataFrame(rows, schema=schema, orient="row")
