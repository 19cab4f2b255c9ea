"""Explaining a table's rows: contributions and reasons next to the row's ids and score."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from riskctl.explain.catalogue import EMPTY, Catalogue
from riskctl.explain.contributions import contributions
from riskctl.explain.reasons import model_reasons
from riskctl.model.detector import Detector

REASON_CODES, REASON_TEXTS = "reason_codes", "reason_texts"


def explain_rows(
    detector: Detector,
    df: pl.DataFrame,
    keep: list[str],
    k: int = 3,
    catalogue: Catalogue = EMPTY,
    progress: Callable[[int, int], None] | None = None,
    approximate: bool = False,
    engine: str = "fast",
) -> pl.DataFrame:
    """`keep` columns, score, margin, one shap_<feature> per feature, shap_bias, reasons."""
    contrib = contributions(detector, df, progress, approximate, engine)
    codes, texts = model_reasons(contrib, df, detector.features, catalogue, k)
    # contributions add up to the raw margin; the score goes through the stored calibration
    score = detector.calibrated(1.0 / (1.0 + np.exp(-contrib.margin)))
    return pl.concat(
        [
            df.select(keep),
            pl.DataFrame({"score": score}),
            contrib.to_frame(),
            pl.DataFrame(
                {REASON_CODES: codes, REASON_TEXTS: texts},
                schema={REASON_CODES: pl.List(pl.String), REASON_TEXTS: pl.List(pl.String)},
            ),
        ],
        how="horizontal",
    )
