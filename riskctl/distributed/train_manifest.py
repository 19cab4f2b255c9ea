"""The manifest of a detector trained on a cluster: the keys `model.train` writes, with the
split, window and digests measured over the whole partitioned dataset."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from riskctl.data.roles import ColumnRole
from riskctl.distributed.train_split import LabelCounts, Split, TrainSurvey
from riskctl.model.config import ModelConfig
from riskctl.model.detector import library_versions
from riskctl.model.diagnose import REGIME_RATIO
from riskctl.model.features import Feature
from riskctl.model.train import TrainOptions


def _window(surveys: list[TrainSurvey], split: Split) -> dict[str, str]:
    if split.kind != "time" or not split.time:
        return {}
    t = split.time
    times = pl.concat([s.times for s in surveys]).select(t).drop_nulls()
    train = times.filter(pl.col(t) < split.cutoff)[t]
    valid = times.filter(pl.col(t) >= split.cutoff)[t]
    return {
        "train_start": str(train.min()),
        "train_end": str(train.max()),
        "valid_start": str(valid.min()),
        "valid_end": str(valid.max()),
    }


def _regime(train_rate: float, valid_rate: float) -> list[str]:
    if max(train_rate, valid_rate) > REGIME_RATIO * min(train_rate, valid_rate):
        return [
            f"the bad rate changed from {100 * train_rate:.2f}% (training) to "
            f"{100 * valid_rate:.2f}% (validation), more than {REGIME_RATIO:g}x: the "
            "regime changed, and validation numbers will not look like training"
        ]
    return []


def manifest_of(
    o: TrainOptions,
    split: Split,
    surveys: list[TrainSurvey],
    roles: list[ColumnRole],
    features: list[Feature],
    params: dict[str, Any],
    imbalance: dict[str, Any],
    config: ModelConfig,
    rounds: int,
    best: int,
    metrics: dict[str, Any],
    y_valid: np.ndarray,
    counts: LabelCounts,
    digest: str,
) -> tuple[dict[str, Any], list[str]]:
    from riskctl.data.io import sha256_file

    train_rate, valid_rate = counts.bad / max(counts.n, 1), float(y_valid.mean())
    metrics = {**metrics, "train_bad_rate": train_rate, "valid_bad_rate": valid_rate}
    warnings = _regime(train_rate, valid_rate)
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
            "kind": split.kind,
            "valid_fraction": o.valid_fraction,
            "seed": o.seed,
            "train_rows": counts.n,
            "valid_rows": int(len(y_valid)),
            "early_stopping_rows": int(len(y_valid)),
            "groups": [],
            "note": "on a cluster the early-stopping slice also gives the metrics",
        },
        "window": _window(surveys, split),
        "params": {k: params[k] for k in sorted(params) if k != "nthread"},
        "imbalance": imbalance,
        "rounds": {
            "max": rounds,
            "best_iteration": best,
            "early_stopping_rounds": config.early_stopping_rounds,
        },
        "metrics": metrics,
        "periods": [],
        "warnings": [{"code": "regime-change", "message": w} for w in warnings],
        "dropped_unlabelled": sum(s.unlabelled for s in surveys),
        "data_sha256": digest,
        "config_sha256": sha256_file(o.config) if o.config else None,
        "versions": library_versions(),
        "distributed": {"partitions": len(surveys), "engine": "xgboost.dask"},
    }
    return manifest, warnings
