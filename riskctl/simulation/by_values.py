"""How many values a `--by` column may have: one set of metrics, one curve or one tuned
segment per value is linear work per value, so a near-unique column (an order id) would make
the work grow with the square of the rows. Counted before the work, in bounded memory."""

from __future__ import annotations

import polars as pl

from riskctl.errors import UsageError
from riskctl.strategy.decisions import SEGMENT

MAX_BY_VALUES = 1_000  # metrics or curves per value (simulate, check, report, sweep)
MAX_TUNED_SEGMENTS = 200  # thresholds per value that tune writes into the strategy
EXACT_UP_TO = 100  # times the limit: counted exactly below this estimate (a small hash set)


def check_by_values(
    table: pl.LazyFrame | pl.DataFrame,
    columns: list[str] | None,
    limit: int = MAX_BY_VALUES,
    what: str = "values a --by column may have",
) -> None:
    """UsageError when a `--by` column of `table` has more than `limit` distinct values
    (missing counts as one). A HyperLogLog estimate first, so a column of millions of
    distinct ids costs little memory; the exact count unless the estimate is far over."""
    lf = table.lazy()
    names = lf.collect_schema().names()
    for column in dict.fromkeys(columns or []):
        if column == SEGMENT or column not in names:
            continue
        about = int(lf.select(pl.col(column).approx_n_unique()).collect(engine="streaming").item())
        count = about
        if about <= EXACT_UP_TO * limit:
            count = int(lf.select(pl.col(column).n_unique()).collect(engine="streaming").item())
        if count > limit:
            spelled = f"about {count:,}" if about > EXACT_UP_TO * limit else f"{count:,}"
            raise UsageError(
                f"--by {column}: {spelled} distinct values, more than the {limit:,} {what}",
                hint="use a column with fewer values (a category, a country, a segment), "
                "or bin this one into a new column first",
            )
