"""Input makers for the `discover` cases (`cases/discover.yaml`): a few days of raw events,
the same with no rows, and with no entity on any row."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker

from riskctl.synth.events import generate_events


def _events() -> pl.DataFrame:
    return generate_events(rows=3000, seed=3, days=3)


@maker("discover_events")
def _discover_events(i: Inputs) -> Path:
    return i.table("events.parquet", _events())


@maker("discover_empty")
def _discover_empty(i: Inputs) -> Path:
    return i.table("empty.parquet", _events().head(0))


@maker("discover_no_entities")
def _discover_no_entities(i: Inputs) -> Path:
    events = _events().with_columns(pl.lit(None, dtype=pl.String).alias("seller_id"))
    return i.table("no_sellers.parquet", events)


@maker("discover_text_labels")
def _discover_text_labels(i: Inputs) -> Path:
    events = _events().with_columns(pl.lit("maybe").alias("is_bad"))
    return i.table("text_labels.parquet", events)
