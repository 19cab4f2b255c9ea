"""Training a detector: roles, three slices (train, early stopping, test; by time or at
random, optionally keeping groups whole), early stopping on PR AUC, optional calibration, an
evaluation on the test slice, and a manifest that says everything about what was learnt and
how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import check_named_columns, require_columns, scan_table, sha256_file
from riskctl.data.labels import binary_label
from riskctl.data.memory import MODEL_COPIES, check_fits
from riskctl.data.roles import ColumnRole, infer_roles
from riskctl.errors import DataError, UsageError
from riskctl.features.stored import MANIFEST_KEY, derive_for_training, store_spec
from riskctl.model.bins import training_bins
from riskctl.model.boosting import LabelCounts, boosting_params
from riskctl.model.calibrate import METHODS, Calibration, fit_calibration
from riskctl.model.config import ModelConfig, load_model_config
from riskctl.model.detector import Detector, check_detector_out, save_detector
from riskctl.model.evaluation import ROW, SPLIT_FILE, Scored, evaluate, row_keys, with_unlabelled
from riskctl.model.features import (
    Feature,
    feature_matrix,
    feature_types,
    features_from_roles,
    model_names,
)
from riskctl.model.manifest_keys import boosting_keys, learnt_keys
from riskctl.model.periods import DEFAULT_PERIOD, check_period
from riskctl.model.split import (
    EARLY_STOPPING,
    SLICE_NAMES,
    TEST,
    TRAIN,
    Split,
    check_fractions,
    duplicate_columns,
    split_rows,
)

Progress = Callable[[int, int], None]


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
    categorical: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    bad: str | None = None  # the label value that means bad, for labels other than 0/1
    split: str | None = None  # "time" | "random"; default: time when a time column is given
    valid_fraction: float = 0.2  # the early-stopping slice
    test_fraction: float = 0.2
    period: str = DEFAULT_PERIOD
    calibrate: str | None = None  # "isotonic" | "platt"
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
    data: Path, label: str, out: Path, progress: Progress | None = None, **more: Any
) -> TrainResult:
    """Shorthand for `train(data, out, train_options(label, **more))`."""
    return train(data, out, train_options(label, **more), progress)


def train_options(
    label: str,
    time: str | None = None,
    exclude: list[str] | None = None,
    valid_fraction: float = 0.2,
    rounds: int | None = None,
    seed: int = 0,
    **more: Any,
) -> TrainOptions:
    """`TrainOptions` from keyword arguments (lists for the repeatable ones)."""
    return TrainOptions(
        label=label,
        time=time,
        exclude=tuple(exclude or ()),
        valid_fraction=valid_fraction,
        rounds=rounds,
        seed=seed,
        **more,
    )


def train(data: Path, out: Path, o: TrainOptions, progress: Progress | None = None) -> TrainResult:
    """Train on the train slice, stop early on the early-stopping slice, evaluate on the test
    slice, and write the detector with its split record."""
    split_kind, period = _check_options(o)
    loaded_config = load_model_config(o.config)
    config = loaded_config.model if loaded_config else ModelConfig()
    df, unlabelled, y = _labelled_rows(data, o)
    check_detector_out(out, [SPLIT_FILE], [data, o.config], o.features_spec)
    roles = infer_roles(
        df.drop(ROW),
        o.label,
        o.time,
        list(o.ids),
        o.amount,
        list(o.exclude),
        list(o.features),
        list(o.categorical),
    )
    same = duplicate_columns([r.column for r in roles if r.is_feature], o.label, o.time)
    fractions = (o.valid_fraction, o.test_fraction)
    split = split_rows(df, y, split_kind, fractions, o.seed, o.groups, same)
    features = features_from_roles(df[split.rows(TRAIN)], roles)
    x = feature_matrix(df, features)
    counts = LabelCounts.of(y[split.slice == TRAIN])
    params, imbalance = boosting_params(config, loaded_config, features, counts, o.seed)
    rounds = o.rounds or config.rounds
    booster, best = _boost(params, config, rounds, x, y, split, features, progress)
    scored, calibration = _score_slices(booster, x, y, split, features, o.calibrate)
    ev = evaluate(
        booster, df, y, split, scored, x, features, o.time, period, o.seed, imbalance["method"]
    )
    manifest = {
        **_manifest(o, roles, features, split, df, period),
        **boosting_keys(params, imbalance, config, rounds, best),
        "score_calibration": calibration.to_dict() if calibration else None,
        "periods": ev.periods,
        "bins": training_bins(df[split.rows(TRAIN)], features),
        "metrics": ev.metrics,
        "warnings": [f.to_dict() for f in ev.findings],
        "dropped_unlabelled": len(unlabelled),
        "data_sha256": sha256_file(data),
    }
    if o.features_spec is not None:
        manifest[MANIFEST_KEY] = store_spec(o.features_spec, out)
    own = [c for c in scan_table(data).collect_schema().names() if c != o.label]
    keys, manifest["split"]["keys"] = row_keys(df, own, manifest["ids"])
    split_table = with_unlabelled(ev.split_table.join(keys, on=ROW, how="left"), unlabelled)
    detector = save_detector(booster, manifest, out, {SPLIT_FILE: split_table})
    return TrainResult(detector, roles, len(unlabelled), [f.message for f in ev.findings])


def _manifest(
    o: TrainOptions,
    roles: list[ColumnRole],
    features: list[Feature],
    split: Split,
    df: pl.DataFrame,
    period: str,
) -> dict[str, Any]:
    """What was learnt from what: roles, features, the split and its window."""
    return {
        **learnt_keys(o, roles, features),
        "split": {
            **split.describe(),
            "valid_fraction": o.valid_fraction,
            "test_fraction": o.test_fraction,
            "seed": o.seed,
            "file": SPLIT_FILE,
            "row": "0-based row number in the input file; unlabelled rows are listed with "
            "slice 'unlabelled'",
        },
        "window": _window(df, split, o.time),
        "period": period if o.time else None,
    }


def _check_options(o: TrainOptions) -> tuple[str, str]:
    check_fractions(o.valid_fraction, o.test_fraction)
    split = o.split or ("time" if o.time else "random")
    if split not in ("time", "random"):
        raise UsageError(f"--split must be time or random, not {split!r}")
    if split == "time" and not o.time:
        raise UsageError("--split time needs --time COL", hint="or use --split random")
    if o.calibrate is not None and o.calibrate not in METHODS:
        raise UsageError(f"--calibrate must be isotonic or platt, not {o.calibrate!r}")
    return split, check_period(o.period)


def _labelled_rows(data: Path, o: TrainOptions) -> tuple[pl.DataFrame, pl.Series, np.ndarray]:
    """The labelled rows (time-sorted with a time column) with their input row number in
    ROW and the label as 0/1; the input row numbers of unlabelled rows; the labels."""
    lf = derive_for_training(scan_table(data), o.features_spec)
    names = lf.collect_schema().names()
    wanted = {
        "label": o.label,
        **({"time": o.time} if o.time else {}),
        **({"amount": o.amount} if o.amount else {}),
    }
    require_columns(names, wanted, str(data))
    check_named_columns("--group", list(o.groups), names)
    if ROW in names:
        raise DataError(f"{data}: has a column named '{ROW}', which riskctl reserves")
    check_fits(lf, str(data), MODEL_COPIES)
    df = lf.with_row_index(ROW).collect()
    df = df.with_columns(binary_label(df[o.label], o.bad, str(data)))
    unlabelled = df.filter(pl.col(o.label).is_null())[ROW]
    df = df.filter(pl.col(o.label).is_not_null())
    y = df[o.label].cast(pl.Int64)
    if y.sum() < 10 or (len(y) - y.sum()) < 10:
        raise DataError(
            f"{data}: needs at least 10 bad and 10 good labelled rows "
            f"(has {y.sum()} bad, {len(y) - y.sum()} good)"
        )
    df = in_time_order(df, o.time, data)
    return df, unlabelled, df[o.label].cast(pl.Int64).to_numpy()


def in_time_order(df: pl.DataFrame, time: str | None, source: Path) -> pl.DataFrame:
    """Labelled rows sorted by their time column (stable; missing times last), which must
    hold dates or times."""
    if not time:
        return df
    if not df.schema[time].is_temporal():
        raise DataError(
            f"{source}: time column '{time}' is {df.schema[time]}, not a date or time",
            hint="use ISO (2026-02-24 22:55) or US (2/24/26 22:55) dates",
        )
    return df.sort(time, maintain_order=True, nulls_last=True)


def _boost(
    params: dict[str, Any],
    config: ModelConfig,
    rounds: int,
    x: np.ndarray,
    y: np.ndarray,
    split: Split,
    features: list[Feature],
    progress: Progress | None,
) -> tuple[Any, int]:
    import xgboost as xgb

    names_f, types = model_names(features), feature_types(features)
    train, stop = split.rows(TRAIN), split.rows(EARLY_STOPPING)
    # quantised matrices: hist training needs only the bins, not a copy of the floats
    common = {
        "feature_names": names_f,
        "feature_types": types,
        "enable_categorical": True,
        "max_bin": config.max_bin,
    }
    dtrain = xgb.QuantileDMatrix(x[train], label=y[train], **common)
    dstop = xgb.QuantileDMatrix(x[stop], label=y[stop], ref=dtrain, **common)
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=rounds,
        evals=[(dstop, "early_stopping")],
        early_stopping_rounds=config.early_stopping_rounds,
        verbose_eval=False,
        callbacks=[_progress_callback(progress, rounds)] if progress else [],
    )
    best = int(booster.best_iteration)
    return booster[: best + 1], best


def _score_slices(
    booster: Any,
    x: np.ndarray,
    y: np.ndarray,
    split: Split,
    features: list[Feature],
    method: str | None,
) -> tuple[Scored, Calibration | None]:
    """Test-slice scores, through a calibration fitted on the early-stopping slice if asked."""
    import xgboost as xgb

    def predict(rows: np.ndarray) -> np.ndarray:
        matrix = xgb.DMatrix(
            x[rows],
            feature_names=model_names(features),
            feature_types=feature_types(features),
            enable_categorical=True,
        )
        return booster.predict(matrix).astype(np.float64)

    raw = predict(split.rows(TEST))
    if method is None:
        return Scored(raw, raw), None
    stop = split.rows(EARLY_STOPPING)
    calibration = fit_calibration(method, predict(stop), y[stop])
    return Scored(raw, calibration.apply(raw)), calibration


def _window(df: pl.DataFrame, split: Split, time: str | None) -> dict[str, str]:
    """First and last event time of each slice (with groups, slices may overlap in time)."""
    if not time:
        return {}
    out = {}
    for i, name in enumerate(SLICE_NAMES):
        times = df[time].filter(pl.Series(split.slice == i))
        out[f"{name}_start"], out[f"{name}_end"] = str(times.min()), str(times.max())
    return out
