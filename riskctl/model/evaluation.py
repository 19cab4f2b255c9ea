"""Evaluating a freshly trained detector on its test slice: metrics with intervals, the
history by period, the warnings, and the split record that lets anyone recompute them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from riskctl.model import diagnose
from riskctl.model.features import ModelFeature
from riskctl.model.periods import period_starts, period_table
from riskctl.model.quality import test_metrics
from riskctl.model.ranking import roc_auc
from riskctl.model.split import SLICE_NAMES, TEST, TRAIN, TrainingSlices

if TYPE_CHECKING:
    import xgboost as xgb

ROW = "row"
SPLIT_FILE = "split.parquet"
PERIOD_UNITS = {"1d": "daily", "1w": "weekly", "1mo": "monthly", "1q": "quarterly"}


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, Any]
    periods: list[dict[str, Any]]
    findings: list[diagnose.Diagnosis]
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
    split: TrainingSlices,
    scored: Scored,
    x: np.ndarray,
    features: list[ModelFeature],
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
    found += diagnose.few_test_bad(metrics["bad"])
    found += diagnose.regime_change(metrics["train_bad_rate"], metrics["test_bad_rate"])
    found += diagnose.leakage(*_one_feature_aucs(x, y, split, features))
    return Evaluation(metrics, periods, found, _split_table(df, y, split, starts, scored, test))


def _period_findings(
    periods: list[dict[str, Any]],
    starts: pl.Series | None,
    y: np.ndarray,
    test: np.ndarray,
    score_all: np.ndarray,
    period: str,
) -> list[diagnose.Diagnosis]:
    if not periods or starts is None:
        return []
    unit = PERIOD_UNITS.get(period, period)
    found = diagnose.rate_spread(periods, unit)
    top = max(periods, key=lambda p: p["test_bad"])
    in_top = (starts.dt.date().cast(pl.String) == top["period"]).fill_null(False).to_numpy()
    others = test & ~in_top
    oy = y[others]
    without = roc_auc(score_all[others], oy) if 0 < oy.sum() < len(oy) else None
    return found + diagnose.carried_by_one_period(periods, without, unit)


def _one_feature_aucs(
    x: np.ndarray, y: np.ndarray, split: TrainingSlices, features: list[ModelFeature]
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
    split: TrainingSlices,
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


def with_unlabelled(table: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """The split record plus the input rows dropped for having no label, in input order."""
    if rows.is_empty():
        return table
    dropped = pl.DataFrame({ROW: rows, "slice": pl.Series(["unlabelled"] * len(rows))})
    return pl.concat([table, dropped.cast({ROW: table.schema[ROW]})], how="diagonal").sort(ROW)
