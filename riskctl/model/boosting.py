"""XGBoost's parameters for a training run, from the model config and the training labels'
counts: one machine counts its training slice, a cluster sums its parts' counts."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from riskctl.errors import ConfigError
from riskctl.model.config import ModelConfig
from riskctl.model.features import Feature
from riskctl.yamlconfig import LoadedYaml


@dataclass(frozen=True)
class LabelCounts:
    """A slice's labelled rows and bad rows."""

    n: int
    bad: int

    @classmethod
    def of(cls, y: np.ndarray) -> LabelCounts:
        """The counts of 0/1 labels."""
        return cls(len(y), int(np.asarray(y).sum()))


def boosting_params(
    config: ModelConfig,
    loaded: LoadedYaml[ModelConfig] | None,
    features: list[Feature],
    counts: LabelCounts,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """XGBoost's parameters from the model config, and the class-imbalance record; `counts`:
    the training slice's rows and bad rows (all that is read of its labels)."""
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
    ratio = (counts.n - counts.bad) / counts.bad if counts.bad else float("inf")
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
    return {**params, **_constraints(config, loaded, features)}, imbalance


def _constraints(
    config: ModelConfig, loaded: LoadedYaml[ModelConfig] | None, features: list[Feature]
) -> dict[str, str]:
    """The monotone and interaction constraints, by feature position."""
    params = {}
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
    return params


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
