"""Input makers for the shared-facts cases (`cases/facts.yaml`): labels stored as text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker


@maker("text_01_labels")
def _text_01_labels(i: Inputs) -> Path:
    """0/1 labels stored as text, with empty and missing ones among them."""
    df = i.scored_df(1000)
    text = df["is_bad"].cast(pl.String).scatter([3, 9], None).scatter([5], "")
    return i.table("text_01.parquet", df.with_columns(text.alias("is_bad")))
