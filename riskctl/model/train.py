"""Training a detector: a time-ordered split, early stopping on the later slice."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xgboost as xgb

from riskctl.data.io import require_columns, scan_table, sha256_file
from riskctl.errors import DataError, UsageError
from riskctl.model.detector import Detector, library_versions, save_detector
from riskctl.model.features import ColumnRole, feature_matrix, feature_types, infer_features
from riskctl.model.ranking import pr_auc, roc_auc

Progress = Callable[[int, int], None]

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "aucpr",
    "tree_method": "hist",
    "max_depth": 6,
    "eta": 0.1,
    "min_child_weight": 2.0,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "max_cat_to_onehot": 8,
}


@dataclass(frozen=True)
class TrainResult:
    detector: Detector
    roles: list[ColumnRole]
    dropped_unlabelled: int


class _ProgressCallback(xgb.callback.TrainingCallback):
    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total = progress, total

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.progress(epoch + 1, self.total)
        return False


def train_detector(data: Path, label: str, out: Path, time: str | None = None,
                   exclude: list[str] | None = None, valid_fraction: float = 0.2,
                   rounds: int = 300, seed: int = 0,
                   progress: Progress | None = None) -> TrainResult:
    """Train on the earlier part of `data`, validate on the later part, write a detector."""
    if not 0.05 <= valid_fraction <= 0.5:
        raise UsageError("--valid-fraction must be between 0.05 and 0.5")
    lf = scan_table(data)
    names = lf.collect_schema().names()
    require_columns(names, {"label": label, **({"time": time} if time else {})}, str(data))
    df = lf.collect()
    labels = df[label]
    unlabelled = labels.null_count()
    df = df.filter(pl.col(label).is_not_null())
    bad_values = df.filter(~pl.col(label).cast(pl.Int64, strict=False).is_in([0, 1])).height
    if bad_values:
        raise DataError(f"{data}: label column '{label}' has {bad_values:,} values other "
                        "than 0 and 1", hint="labels must be 1 = bad, 0 = good")
    if time:
        df = df.sort(time, maintain_order=True)
    features, roles = infer_features(df, label, time, exclude or [])
    y = df[label].cast(pl.Int64).to_numpy()
    if y.sum() < 10 or (len(y) - y.sum()) < 10:
        raise DataError(f"{data}: needs at least 10 bad and 10 good labelled rows "
                        f"(has {int(y.sum())} bad, {int(len(y) - y.sum())} good)")
    n_valid = max(int(round(len(y) * valid_fraction)), 1)
    split = len(y) - n_valid
    if not time:
        # stratified random split when there is no clock to split on
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(y))
        df, y = df[order], y[order]
    train_df, valid_df = df[:split], df[split:]
    y_train, y_valid = y[:split], y[split:]
    if y_valid.sum() == 0 or y_train.sum() == 0:
        raise DataError("the later slice or the earlier slice has no bad rows",
                        hint="use more history or a larger --valid-fraction")

    names_f = [f.name for f in features]
    types = feature_types(features)
    dtrain = xgb.DMatrix(feature_matrix(train_df, features), label=y_train,
                         feature_names=names_f, feature_types=types, enable_categorical=True)
    dvalid = xgb.DMatrix(feature_matrix(valid_df, features), label=y_valid,
                         feature_names=names_f, feature_types=types, enable_categorical=True)
    # class imbalance: weight bad rows by the good/bad ratio, capped so scores stay usable
    pos_weight = float(min((len(y_train) - y_train.sum()) / y_train.sum(), 10.0))
    params = dict(DEFAULT_PARAMS, seed=seed, nthread=os.cpu_count() or 1,
                  scale_pos_weight=round(pos_weight, 4))
    callbacks = [_ProgressCallback(progress, rounds)] if progress else []
    booster = xgb.train(params, dtrain, num_boost_round=rounds,
                        evals=[(dvalid, "valid")], early_stopping_rounds=30,
                        verbose_eval=False, callbacks=callbacks)
    best = int(booster.best_iteration)
    booster = booster[: best + 1]
    p_valid = booster.predict(dvalid)
    manifest: dict[str, Any] = {
        "features": [f.to_dict() for f in features],
        "label": label,
        "time": time,
        "excluded": [r.column for r in roles if r.role == "excluded"],
        "split": {"kind": "time" if time else "random", "valid_fraction": valid_fraction,
                  "train_rows": int(split), "valid_rows": int(n_valid)},
        "window": _window(train_df, valid_df, time),
        "params": {k: params[k] for k in sorted(params) if k != "nthread"},
        "rounds": {"max": rounds, "best_iteration": best},
        "metrics": {"roc_auc": roc_auc(p_valid, y_valid), "pr_auc": pr_auc(p_valid, y_valid),
                    "rows": int(len(y_valid)), "bad": int(y_valid.sum()),
                    "train_bad_rate": float(y_train.mean()),
                    "valid_bad_rate": float(y_valid.mean())},
        "dropped_unlabelled": int(unlabelled),
        "data_sha256": sha256_file(data),
        "versions": library_versions(),
    }
    detector = save_detector(booster, manifest, out)
    return TrainResult(detector, roles, int(unlabelled))


def _window(train: pl.DataFrame, valid: pl.DataFrame, time: str | None) -> dict[str, str]:
    if not time:
        return {}
    return {"train_start": str(train[time].min()), "train_end": str(train[time].max()),
            "valid_start": str(valid[time].min()), "valid_end": str(valid[time].max())}
