"""Manifest keys every training path writes the same way (one machine and cluster)."""

from __future__ import annotations

from typing import Any

from riskctl.data.io import sha256_file
from riskctl.data.roles import ColumnRole
from riskctl.model.config import ModelConfig
from riskctl.model.detector import library_versions
from riskctl.model.features import ModelFeature


def learnt_keys(o: Any, roles: list[ColumnRole], features: list[ModelFeature]) -> dict:
    """The manifest's keys on what was learnt from which columns (one machine or cluster);
    `o`: the `TrainOptions`."""
    return {
        "features": [f.to_dict() for f in features],
        "roles": [r.to_dict() for r in roles],
        "label": o.label,
        "bad": o.bad,
        "time": o.time,
        "amount": o.amount,
        "ids": [r.column for r in roles if r.role == "id"],
        "excluded": [
            r.column for r in roles if not r.is_feature and r.role not in ("label", "time")
        ],
        "config_sha256": sha256_file(o.config) if o.config else None,
        "versions": library_versions(),
    }


def boosting_keys(
    params: dict[str, Any], imbalance: dict[str, Any], config: ModelConfig, rounds: int, best: int
) -> dict[str, Any]:
    """The manifest's keys on how the booster was trained."""
    return {
        "params": {k: params[k] for k in sorted(params) if k != "nthread"},
        "imbalance": imbalance,
        "rounds": {
            "max": rounds,
            "best_iteration": best,
            "early_stopping_rounds": config.early_stopping_rounds,
        },
    }
