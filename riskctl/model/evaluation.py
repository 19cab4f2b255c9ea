"""Evaluating a freshly trained detector on its test slice: metrics with intervals, the
history by period, the warnings, and the split record that lets anyone recompute them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from riskctl.model import diagnose
from riskctl.model.features import Feature
from riskctl.model.periods import period_starts, period_table
from riskctl.model.quality import test_metrics
from riskctl.model.ranking import roc_auc
from riskctl.model.split import SLICE_NAMES, TEST, TRAIN, Split, row_digest

if TYPE_CHECKING:
    import xgboost as xgb

ROW = "row"
DIGEST_COLUMN = "row_digest"  # in the split record: see `row_keys`
ID_COLUMN = "id"
SPLIT_FILE = "split.parquet"
PERIOD_UNITS = {"1d": "daily", "1w": "weekly", "1mo": "monthly", "1q": "quarterly"}


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, Any]
    periods: list[dict[str, Any]]
    findings: list[diagnose.Finding]
    split_table: pl.DataFrame


@dataclass(frozen=True)
class Scored:
    """The test slice's scores: raw model output and (possibly calibrated) final score."""

    raw: np.ndarray
    final: np.ndarray


def evaluate(
    booster: xgb.Booster,
    df: pl.DataFrame,
    y: np.ndarray,
    split: Split,
    scored: Scored,
    x: np.ndarray,
    features: list[Feature],
    time: str | None,
    period: str,
    seed: int,
    imbalance: str,
) -> Evaluation:
    """`df` holds the labelled rows (with the input row number in ROW), in split order."""
    test = split.slice == TEST
    clusters = split.component[test] if split.groups else None
    names = [f.name for f in features]
    metrics = test_metrics(booster, scored.final, y[test], clusters, seed, names)
    if not np.array_equal(scored.raw, scored.final):
        raw_metrics = test_metrics(booster, scored.raw, y[test], clusters, seed, names)
        metrics["uncalibrated"] = {
            k: raw_metrics[k] for k in ("mean_score", "brier", "calibration_error", "roc_auc")
        }
    for i, name in enumerate(SLICE_NAMES):
        metrics[f"{name}_bad_rate"] = float(y[split.slice == i].mean())
    score_all = np.full(len(y), np.nan)
    score_all[test] = scored.final
    periods: list[dict[str, Any]] = []
    starts = None
    if time:
        starts = period_starts(df[time], period)
        periods = period_table(starts, y, test, score_all)
    found = _period_findings(periods, starts, y, test, score_all, period)
    found += diagnose.near_chance(metrics)
    found += diagnose.miscalibrated(metrics, imbalance, "uncalibrated" in metrics)
    found += diagnose.few_test_bad(metrics["bad"], metrics["intervals"])
    found += diagnose.regime_change(*(_counts(y, split.slice == i) for i in (TRAIN, TEST)))
    found += diagnose.leakage(*_one_feature_aucs(x, y, split, features))
    return Evaluation(metrics, periods, found, _split_table(df, y, split, starts, scored, test))


def _counts(y: np.ndarray, rows: np.ndarray) -> tuple[int, int]:
    return int(y[rows].sum()), int(rows.sum())


def _period_findings(
    periods: list[dict[str, Any]],
    starts: pl.Series | None,
    y: np.ndarray,
    test: np.ndarray,
    score_all: np.ndarray,
    period: str,
) -> list[diagnose.Finding]:
    if not periods or starts is None:
        return []
    unit = PERIOD_UNITS.get(period, period)
    found = diagnose.rate_spread(periods, unit) + diagnose.single_test_period(periods, unit)
    burst = diagnose.carrying_run(periods)
    if burst is None:
        return found
    inside = starts.dt.date().cast(pl.String).is_in(pl.Series(burst.periods).implode())
    others = test & ~inside.fill_null(False).to_numpy()
    oy = y[others]
    without = roc_auc(score_all[others], oy) if 0 < oy.sum() < len(oy) else None
    overall = roc_auc(score_all[test], y[test])
    return found + diagnose.carried_by_a_burst(burst, overall, without, unit)


def _one_feature_aucs(
    x: np.ndarray, y: np.ndarray, split: Split, features: list[Feature]
) -> tuple[list[str], list[float]]:
    """Each feature's ROC AUC used alone. Numbers rank by value over the train slice;
    categories are replaced by their train-slice bad rate and ranked on the other slices,
    so that many small categories cannot separate the labels by memorisation."""
    train = split.slice == TRAIN
    names, aucs = [], []
    for j, f in enumerate(features):
        column = x[:, j].astype(np.float64)
        if f.kind != "categorical":
            aucs.append(diagnose.one_feature_auc(column[train], y[train]))
        else:
            codes = np.where(np.isnan(column), len(f.categories), column).astype(np.int64)
            n = len(f.categories) + 1
            bad = np.bincount(codes[train], weights=y[train], minlength=n)
            seen = np.bincount(codes[train], minlength=n)
            pooled = y[train].mean()
            rate = np.where(seen > 0, bad / np.maximum(seen, 1), pooled)
            aucs.append(diagnose.one_feature_auc(rate[codes[~train]], y[~train]))
        names.append(f.name)
    return names, aucs


def _split_table(
    df: pl.DataFrame,
    y: np.ndarray,
    split: Split,
    starts: pl.Series | None,
    scored: Scored,
    test: np.ndarray,
) -> pl.DataFrame:
    """One row per labelled input row: where it went, its label as used, its period and
    group, and its score if it was in the test slice."""
    raw = np.full(len(y), np.nan)
    raw[test] = scored.raw
    final = np.full(len(y), np.nan)
    final[test] = scored.final
    columns: dict[str, Any] = {
        ROW: df[ROW],
        "slice": pl.Series(np.array(SLICE_NAMES)[split.slice]),
        "label": pl.Series(y, dtype=pl.Int8),
    }
    if starts is not None:
        columns["period"] = starts.dt.date()
    if split.groups:
        columns["group"] = pl.Series(split.component, dtype=pl.Int64)
    columns["raw_score"] = pl.Series(raw).fill_nan(None)
    columns["score"] = pl.Series(final).fill_nan(None)
    return pl.DataFrame(columns).sort(ROW)


def row_keys(
    df: pl.DataFrame, columns: list[str], ids: list[str]
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """What finds a recorded row again in another table: a digest of its values in the
    input's own `columns` (not derived ones, not the label, whose coding may differ), and its
    first id column's value when that id is unique. Returns the keys by ROW and what the
    manifest says about them."""
    present = [c for c in columns if c in df.columns and c != ROW]
    keys = pl.DataFrame({ROW: df[ROW], DIGEST_COLUMN: row_digest(df, tuple(present))})
    id_column = ids[0] if ids and ids[0] in df.columns else None
    if (
        id_column is not None
        and df[id_column].null_count() == 0
        and df[id_column].is_unique().all()
    ):
        keys = keys.with_columns(df[id_column].cast(pl.String).alias(ID_COLUMN))
    else:
        id_column = None
    return keys, {"digest_columns": present, "id_column": id_column}


def with_unlabelled(table: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """The split record plus the input rows dropped for having no label, in input order."""
    if rows.is_empty():
        return table
    dropped = pl.DataFrame({ROW: rows, "slice": pl.Series(["unlabelled"] * len(rows))})
    return pl.concat([table, dropped.cast({ROW: table.schema[ROW]})], how="diagonal").sort(ROW)
