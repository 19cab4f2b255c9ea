"""A history by period (a week by default): rows, bad rate, and the test metrics of the rows
of each period that fell in the test slice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.model.ranking import pr_auc, roc_auc

DEFAULT_PERIOD = "1w"


ALIASES = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q"}


def check_period(period: str) -> str:
    """The polars duration for `period` (`day`, `week`, `month`, or `1d`, `2w`, `1mo`, ...);
    refuses anything polars cannot truncate to."""
    period = ALIASES.get(period.strip().lower(), period.strip())
    try:
        pl.select(pl.lit(0).cast(pl.Datetime("us")).dt.truncate(period))
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise UsageError(
            f"--period {period!r} is not a duration",
            hint="use day, week, month, or a duration such as 1d, 2w or 1mo",
        ) from exc
    return period


def day_of(start: date) -> date:
    """The day of a period's start: a date column's periods start on dates already."""
    return start.date() if isinstance(start, datetime) else start


def period_starts(time: pl.Series, period: str) -> pl.Series:
    return time.dt.truncate(period).alias("period")


def period_table(
    period: pl.Series, label: np.ndarray, test: np.ndarray, score: np.ndarray
) -> list[dict[str, Any]]:
    """One row per period, in time order: rows, bad, bad rate; test rows, test bad, and the
    test ROC and PR AUC where the period's test rows hold both classes (else None).

    `test` marks test rows; `score` is their score (any value elsewhere).
    """
    frame = pl.DataFrame({"period": period, "label": label, "test": test, "score": score})
    table = []
    for (start,), rows in frame.group_by("period", maintain_order=False):
        y = rows["label"].to_numpy()
        in_test = rows["test"].to_numpy()
        ty, ts = y[in_test], rows["score"].to_numpy()[in_test]
        both = 0 < ty.sum() < len(ty)
        table.append(
            {
                "period": None if start is None else str(day_of(start)),
                "rows": int(len(y)),
                "bad": int(y.sum()),
                "bad_rate": float(y.mean()),
                "test_rows": int(len(ty)),
                "test_bad": int(ty.sum()),
                "test_roc_auc": roc_auc(ts, ty) if both else None,
                "test_pr_auc": pr_auc(ts, ty) if both else None,
            }
        )
    return sorted(table, key=lambda r: (r["period"] is None, r["period"] or ""))
