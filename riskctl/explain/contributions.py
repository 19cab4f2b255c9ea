"""Per-row SHAP contributions: exact path-dependent TreeSHAP, the values of XGBoost's
`pred_contribs` (the computation `shap.TreeExplainer` runs for XGBoost models).

Two engines give the same values: `fast` (riskctl's own TreeSHAP, `explain/treeshap.py`,
several times faster) and `xgboost` (`pred_contribs`). The contributions plus the bias add up
to the row's margin (log-odds). A model the fast engine does not cover (not a gbtree, several
outputs, paths with too many distinct features) is explained by XGBoost. With
`approximate`, XGBoost's fast Saabas attribution stands in (it also adds up to the margin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.explain.treeshap import FastTreeShap, UnsupportedModel, fast_explainer
from riskctl.model.detector import Detector
from riskctl.model.features import feature_matrix

# rows whose contributions are computed at a time: bounds the rows x features (and, for
# interactions, rows x features x features) arrays; a read batch (`batches.READ_ROWS`) is
# computed in several of these
SHAP_ROWS = 20_000
ENGINES = ("fast", "xgboost")


@dataclass(frozen=True)
class Contributions:
    features: list[str]
    values: np.ndarray  # rows x features
    bias: np.ndarray  # rows
    margin: np.ndarray  # rows

    def to_frame(self) -> pl.DataFrame:
        cols = {f"shap_{name}": self.values[:, i] for i, name in enumerate(self.features)}
        return pl.DataFrame({**cols, "shap_bias": self.bias, "margin": self.margin})

    def to_shap(self, data: np.ndarray | None = None) -> Any:
        """A `shap.Explanation`, for shap's own plots from Python (`pip install riskctl[shap]`)."""
        try:
            import shap
        except ModuleNotFoundError as missing:
            raise ModuleNotFoundError(
                "to_shap() needs shap, an optional extra: pip install 'riskctl[shap]'"
            ) from missing

        return shap.Explanation(
            values=self.values, base_values=self.bias, data=data, feature_names=self.features
        )


def contributions(
    detector: Detector,
    df: pl.DataFrame,
    progress: Callable[[int, int], None] | None = None,
    approximate: bool = False,
    engine: str = "fast",
) -> Contributions:
    """SHAP contributions for every row of `df`, in batches to bound memory."""
    n_feat = len(detector.feature_names)
    values = np.empty((df.height, n_feat), dtype=np.float32)
    bias = np.empty(df.height, dtype=np.float32)
    fast = None if approximate else fast_engine(detector, engine)
    for start in range(0, df.height, SHAP_ROWS):
        batch = df.slice(start, SHAP_ROWS)
        rows = slice(start, start + batch.height)
        if fast is not None:
            matrix = feature_matrix(batch, detector.features)
            values[rows] = fast.shap_values(matrix)
            bias[rows] = fast.bias
        else:
            contrib = detector.booster.predict(
                detector.dmatrix(batch), pred_contribs=True, approx_contribs=approximate
            )
            values[rows] = contrib[:, :n_feat]
            bias[rows] = contrib[:, n_feat]
        if progress:
            progress(min(start + SHAP_ROWS, df.height), df.height)
    margin = values.sum(axis=1, dtype=np.float64) + bias
    return Contributions(detector.feature_names, values, bias, margin)


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise UsageError(
            f"unknown explanation engine '{engine}'", hint="use --engine fast or --engine xgboost"
        )


def fast_engine(detector: Detector, engine: str = "fast") -> FastTreeShap | None:
    """The fast engine for the detector's model; None for `xgboost` or a model it does not
    cover (pred_contribs then computes the same values)."""
    check_engine(engine)
    if engine == "xgboost":
        return None
    try:
        return fast_explainer(detector.booster)
    except UnsupportedModel:
        return None


def interactions(detector: Detector, df: pl.DataFrame) -> np.ndarray:
    """SHAP interaction values, rows x features x features (bias row and column dropped),
    from XGBoost (the fast engine's tables give contributions, not interactions)."""
    n_feat = len(detector.feature_names)
    out = np.empty((df.height, n_feat, n_feat), dtype=np.float32)
    for start in range(0, df.height, SHAP_ROWS):
        batch = df.slice(start, SHAP_ROWS)
        values = detector.booster.predict(detector.dmatrix(batch), pred_interactions=True)
        out[start : start + batch.height] = values[:, :n_feat, :n_feat]
    return out
