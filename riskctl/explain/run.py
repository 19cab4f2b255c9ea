"""Explaining a table's rows: contributions and reasons next to the row's ids and score."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from riskctl.explain.contributions import contributions
from riskctl.explain.reasons import explain_frame
from riskctl.model.detector import Detector


def explain_rows(detector: Detector, df: pl.DataFrame, keep: list[str], k: int = 3,
                 progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
    """`keep` columns, then score, margin, one shap_<feature> per feature, shap_bias, reasons."""
    contrib = contributions(detector, df, progress)
    explained = explain_frame(contrib, df, k)
    score = 1.0 / (1.0 + np.exp(-contrib.margin))
    return pl.concat([df.select(keep), pl.DataFrame({"score": score}), explained],
                     how="horizontal")
