"""Training a detector: roles, an out-of-time (or stratified) split, early stopping on
validation PR AUC, and a manifest that says everything about what was learnt and how."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table, sha256_file
from riskctl.data.roles import ColumnRole, infer_roles
from riskctl.data.values import check_labels
from riskctl.errors import ConfigError, DataError, UsageError
from riskctl.features.stored import MANIFEST_KEY, derive_for_training, store_spec
from riskctl.model.bins import training_bins
from riskctl.model.config import ModelConfig, load_model_config
from riskctl.model.detector import Detector, library_versions, save_detector
from riskctl.model.features import Feature, feature_matrix, feature_types, features_from_roles
from riskctl.model.quality import validation_metrics
from riskctl.yamlconfig import LoadedYaml

Progress = Callable[[int, int], None]
REGIME_RATIO = 2.0


@dataclass(frozen=True)
class TrainResult:
    detector: Detector
    roles: list[ColumnRole]
    dropped_unlabelled: int
    warnings: list[str]


@dataclass(frozen=True)
class TrainOptions:
    label: str
    time: str | None = None
    ids: tuple[str, ...] = ()
    amount: str | None = None
    exclude: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    split: str | None = None  # "time" | "random"; default: time when a time column is given
    valid_fraction: float = 0.2
    rounds: int | None = None  # overrides the config's
    seed: int = 0
    config: Path | None = None
    features_spec: Path | None = None  # features.yaml: derive columns first, keep the spec


def _progress_callback(progress: Progress, total: int) -> Any:
    import xgboost as xgb

    class ProgressCallback(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            progress(epoch + 1, total)
            return False

    return ProgressCallback()


def train_detector(
    data: Path,
    label: str,
    out: Path,
    time: str | None = None,
    exclude: list[str] | None = None,
    valid_fraction: float = 0.2,
    rounds: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    **more: Any,
) -> TrainResult:
    """Shorthand for `train(data, out, TrainOptions(...))`."""
    options = TrainOptions(
        label=label,
        time=time,
        exclude=tuple(exclude or ()),
        valid_fraction=valid_fraction,
        rounds=rounds,
        seed=seed,
        **more,
    )
    return train(data, out, options, progress)


def train(data: Path, out: Path, o: TrainOptions, progress: Progress | None = None) -> TrainResult:
    """Train on the earlier (or a random) part of `data`, validate on the rest, write it."""
    if not 0.05 <= o.valid_fraction <= 0.5:
        raise UsageError("--valid-fraction must be between 0.05 and 0.5")
    split = o.split or ("time" if o.time else "random")
    if split not in ("time", "random"):
        raise UsageError(f"--split must be time or random, not {split!r}")
    if split == "time" and not o.time:
        raise UsageError("--split time needs --time COL", hint="or use --split random")
    loaded_config = load_model_config(o.config)
    config = loaded_config.model if loaded_config else ModelConfig()
    rounds = o.rounds or config.rounds

    lf = derive_for_training(scan_table(data), o.features_spec)
    names = lf.collect_schema().names()
    wanted = {
        "label": o.label,
        **({"time": o.time} if o.time else {}),
        **({"amount": o.amount} if o.amount else {}),
    }
    require_columns(names, wanted, str(data))
    df = lf.collect()
    unlabelled = df[o.label].null_count()
    df = df.filter(pl.col(o.label).is_not_null())
    check_labels(df, o.label, data)
    _check_label(df, o.label, data)
    if o.time:
        if not df.schema[o.time].is_temporal():
            raise DataError(
                f"{data}: time column '{o.time}' is {df.schema[o.time]}, not a date or time",
                hint="use ISO (2026-02-24 22:55) or US (2/24/26 22:55) dates",
            )
        df = df.sort(o.time, maintain_order=True, nulls_last=True)
    roles = infer_roles(
        df, o.label, o.time, list(o.ids), o.amount, list(o.exclude), list(o.features)
    )
    y_all = df[o.label].cast(pl.Int64).to_numpy()
    train_idx, valid_idx = _split(y_all, split, o.valid_fraction, o.seed)
    train_df, valid_df = df[train_idx], df[valid_idx]
    y_train, y_valid = y_all[train_idx], y_all[valid_idx]
    if y_valid.sum() == 0 or y_train.sum() == 0:
        raise DataError(
            "the training or the validation slice has no bad rows",
            hint="use more history or a larger --valid-fraction",
        )
    features = features_from_roles(train_df, roles)
    params, imbalance = _params(config, loaded_config, features, y_train, o.seed)
    names_f = [f.name for f in features]
    types = feature_types(features)
    import xgboost as xgb

    # quantised matrices: hist training needs only the bins, not a copy of the floats
    dtrain = xgb.QuantileDMatrix(
        feature_matrix(train_df, features),
        label=y_train,
        feature_names=names_f,
        feature_types=types,
        enable_categorical=True,
        max_bin=config.max_bin,
    )
    dvalid = xgb.QuantileDMatrix(
        feature_matrix(valid_df, features),
        label=y_valid,
        feature_names=names_f,
        feature_types=types,
        enable_categorical=True,
        max_bin=config.max_bin,
        ref=dtrain,
    )
    callbacks = [_progress_callback(progress, rounds)] if progress else []
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=rounds,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=config.early_stopping_rounds,
        verbose_eval=False,
        callbacks=callbacks,
    )
    best = int(booster.best_iteration)
    booster = booster[: best + 1]
    metrics = validation_metrics(booster, booster.predict(dvalid), y_valid)
    train_rate, valid_rate = float(y_train.mean()), float(y_valid.mean())
    metrics.update(train_bad_rate=train_rate, valid_bad_rate=valid_rate)
    warnings = []
    if max(train_rate, valid_rate) > REGIME_RATIO * min(train_rate, valid_rate):
        warnings.append(
            f"the bad rate changed from {100 * train_rate:.2f}% (training) to "
            f"{100 * valid_rate:.2f}% (validation), more than {REGIME_RATIO:g}x: the "
            "regime changed, and validation numbers will not look like training"
        )
    manifest: dict[str, Any] = {
        "features": [f.to_dict() for f in features],
        "roles": [r.to_dict() for r in roles],
        "label": o.label,
        "time": o.time,
        "amount": o.amount,
        "ids": [r.column for r in roles if r.role == "id"],
        "excluded": [
            r.column for r in roles if not r.is_feature and r.role not in ("label", "time")
        ],
        "split": {
            "kind": split,
            "valid_fraction": o.valid_fraction,
            "seed": o.seed,
            "train_rows": len(train_idx),
            "valid_rows": len(valid_idx),
        },
        "window": _window(train_df, valid_df, o.time),
        "params": {k: params[k] for k in sorted(params) if k != "nthread"},
        "imbalance": imbalance,
        "rounds": {
            "max": rounds,
            "best_iteration": best,
            "early_stopping_rounds": config.early_stopping_rounds,
        },
        "metrics": metrics,
        "bins": training_bins(train_df, features),
        "warnings": warnings,
        "dropped_unlabelled": int(unlabelled),
        "data_sha256": sha256_file(data),
        "config_sha256": sha256_file(o.config) if o.config else None,
        "versions": library_versions(),
    }
    if o.features_spec is not None:
        manifest[MANIFEST_KEY] = store_spec(o.features_spec, out)
    detector = save_detector(booster, manifest, out)
    return TrainResult(detector, roles, int(unlabelled), warnings)


def _check_label(df: pl.DataFrame, label: str, data: Path) -> None:
    bad_values = df.filter(~pl.col(label).cast(pl.Int64, strict=False).is_in([0, 1])).height
    if bad_values:
        raise DataError(
            f"{data}: label column '{label}' has {bad_values:,} values other than 0 and 1",
            hint="labels must be 1 = bad, 0 = good",
        )
    y = df[label].cast(pl.Int64)
    if y.sum() < 10 or (len(y) - y.sum()) < 10:
        raise DataError(
            f"{data}: needs at least 10 bad and 10 good labelled rows "
            f"(has {y.sum()} bad, {len(y) - y.sum()} good)"
        )


def _split(
    y: np.ndarray, kind: str, valid_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, valid): the latest rows, or a per-class random share."""
    n = len(y)
    if kind == "time":
        cut = n - max(int(round(n * valid_fraction)), 1)
        return np.arange(cut), np.arange(cut, n)
    rng = np.random.default_rng(seed)
    valid = []
    for cls in (0, 1):
        members = np.flatnonzero(y == cls)
        take = max(int(round(len(members) * valid_fraction)), 1)
        valid.append(rng.permutation(members)[:take])
    valid_idx = np.sort(np.concatenate(valid))
    train_mask = np.ones(n, dtype=bool)
    train_mask[valid_idx] = False
    return np.flatnonzero(train_mask), valid_idx


def _params(
    config: ModelConfig,
    loaded: LoadedYaml[ModelConfig] | None,
    features: list[Feature],
    y_train: np.ndarray,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    params: dict[str, Any] = {
        "objective": "binary:logistic",
        "eval_metric": "aucpr",
        "tree_method": "hist",
        "max_depth": config.max_depth,
        "eta": config.learning_rate,
        "min_child_weight": config.min_child_weight,
        "subsample": config.subsample,
        "colsample_bytree": config.colsample_bytree,
        "reg_lambda": config.reg_lambda,
        "max_bin": config.max_bin,
        "max_cat_to_onehot": 8,
        "seed": seed,
        "nthread": os.cpu_count() or 1,
    }
    ratio = float((len(y_train) - y_train.sum()) / y_train.sum())
    if config.imbalance == "none":
        imbalance = {
            "method": "none",
            "scale_pos_weight": 1.0,
            "why": "scores stay calibrated probabilities; early stopping on PR AUC "
            "copes with the rare class",
        }
    else:
        weight = ratio if config.imbalance == "balanced" else float(config.imbalance)
        params["scale_pos_weight"] = round(weight, 6)
        imbalance = {
            "method": "scale_pos_weight",
            "scale_pos_weight": round(weight, 6),
            "why": f"model.yaml imbalance: {config.imbalance}; scores are no longer "
            "calibrated probabilities",
        }
    index = {f.name: i for i, f in enumerate(features)}
    if config.monotone:
        signs = [0] * len(features)
        for name, direction in config.monotone.items():
            where = loaded.where("monotone", name) if loaded else None
            _check_feature(name, index, where)
            if features[index[name]].kind == "categorical":
                raise ConfigError(
                    f"'{name}' is categorical; only numeric features can be monotone", where
                )
            signs[index[name]] = 1 if direction == "increasing" else -1
        params["monotone_constraints"] = "(" + ",".join(map(str, signs)) + ")"
    if config.interactions:
        groups = []
        for i, group in enumerate(config.interactions):
            where = loaded.where("interactions", i) if loaded else None
            for name in group:
                _check_feature(name, index, where)
            groups.append([index[name] for name in group])
        params["interaction_constraints"] = str(groups)
    return params, imbalance


def _check_feature(name: str, index: dict[str, int], where: Any) -> None:
    if name not in index:
        close = difflib.get_close_matches(name, list(index), n=1)
        raise ConfigError(
            f"'{name}' is not a feature of this detector",
            where,
            hint=f"did you mean `{close[0]}`?"
            if close
            else "features are: " + ", ".join(list(index)[:15]),
        )


def _window(train: pl.DataFrame, valid: pl.DataFrame, time: str | None) -> dict[str, str]:
    if not time:
        return {}
    return {
        "train_start": str(train[time].min()),
        "train_end": str(train[time].max()),
        "valid_start": str(valid[time].min()),
        "valid_end": str(valid[time].max()),
    }
