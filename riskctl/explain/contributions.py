"""Per-row SHAP contributions from XGBoost's native TreeSHAP.

`pred_contribs` is the computation `shap.TreeExplainer` runs for XGBoost models (same
values): the contributions plus the bias add up to the row's margin (log-odds). With
`approximate`, XGBoost's fast Saabas attribution stands in (it also adds up to the margin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.model.detector import Detector

BATCH_ROWS = 20_000


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
        """A `shap.Explanation`, for shap's own plots from Python."""
        import shap

        return shap.Explanation(
            values=self.values, base_values=self.bias, data=data, feature_names=self.features
        )


def contributions(
    detector: Detector,
    df: pl.DataFrame,
    progress: Callable[[int, int], None] | None = None,
    approximate: bool = False,
) -> Contributions:
    """SHAP contributions for every row of `df`, in batches to bound memory."""
    n_feat = len(detector.feature_names)
    values = np.empty((df.height, n_feat), dtype=np.float32)
    bias = np.empty(df.height, dtype=np.float32)
    for start in range(0, df.height, BATCH_ROWS):
        batch = df.slice(start, BATCH_ROWS)
        contrib = detector.booster.predict(
            detector.dmatrix(batch), pred_contribs=True, approx_contribs=approximate
        )
        values[start : start + batch.height] = contrib[:, :n_feat]
        bias[start : start + batch.height] = contrib[:, n_feat]
        if progress:
            progress(min(start + BATCH_ROWS, df.height), df.height)
    margin = values.sum(axis=1, dtype=np.float64) + bias
    return Contributions(detector.feature_names, values, bias, margin)


def interactions(detector: Detector, df: pl.DataFrame) -> np.ndarray:
    """SHAP interaction values, rows x features x features (bias row and column dropped)."""
    n_feat = len(detector.feature_names)
    out = np.empty((df.height, n_feat, n_feat), dtype=np.float32)
    for start in range(0, df.height, BATCH_ROWS):
        batch = df.slice(start, BATCH_ROWS)
        values = detector.booster.predict(detector.dmatrix(batch), pred_interactions=True)
        out[start : start + batch.height] = values[:, :n_feat, :n_feat]
    return out
