"""Input makers for `riskctl rules suggest`'s bad-input cases (`cases/rules.yaml`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker

TIMED = """name: t
actions: [block, review, allow]
thresholds:
  review: {score: 0.5}
label: is_bad
time: event_time
"""


@maker("rules_strategy")
def _rules_strategy(i: Inputs) -> Path:
    return i.text("timed.yaml", TIMED)


@maker("rules_late_bad")
def _late_bad(i: Inputs) -> Path:
    """Bad rows only in the latest 20% of the time range: none in the search window."""
    df = i.scored_df().sort("event_time")
    late = pl.int_range(pl.len()) >= int(0.8 * df.height)
    return i.table(
        "late_bad.parquet",
        df.with_columns(
            pl.when(late).then(pl.col("is_bad")).otherwise(0).cast(pl.Int8).alias("is_bad")
        ),
    )


@maker("rules_ids_only")
def _ids_only(i: Inputs) -> Path:
    """Ids, the label and the time: nothing a rule could test."""
    df = i.scored_df().select("order_id", "buyer_id", "device_id", "event_time", "is_bad")
    return i.table("ids_only.parquet", df)


@maker("rules_ids_strategy")
def _ids_strategy(i: Inputs) -> Path:
    return i.text(
        "ids.yaml", "name: ids\nactions: [review, allow]\nlabel: is_bad\ntime: event_time\n"
    )
