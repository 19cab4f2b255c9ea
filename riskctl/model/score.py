"""Scoring a table with a detector."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from riskctl.data.io import scan_table, write_table
from riskctl.model.detector import Detector, load_detector


def score_frame(detector: Detector, df: pl.DataFrame, column: str = "score") -> pl.DataFrame:
    """`df` with one more column: the detector's probability for each row."""
    return df.with_columns(pl.Series(column, detector.score(df), dtype=pl.Float64))


def score_file(detector_dir: Path, data: Path, out: Path, keep: list[str] | None = None,
               column: str = "score") -> pl.DataFrame:
    """Score `data`; write its id/label/time columns, any `keep` columns and the score."""
    detector = load_detector(detector_dir)
    df = scan_table(data).collect()
    scored = score_frame(detector, df, column)
    wanted = [c for c in (detector.label, detector.time) if c and c in df.columns]
    wanted += [c for c in df.columns if c.endswith("_id") and c not in wanted]
    wanted += [c for c in (keep or []) if c not in wanted]
    result = scored.select([*wanted, column])
    write_table(result, out)
    return result
