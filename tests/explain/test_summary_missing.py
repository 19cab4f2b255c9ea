"""The explain summary names the rows with no `--by` value as every other command does:
`(none)`, unless a real value is spelled so, decided from all batches together."""

from __future__ import annotations

import polars as pl

from riskctl.data.values import name_missing
from riskctl.explain.run import REASON_CODES
from riskctl.explain.summary import SummaryBuilder


def batch(channels: list[str | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(channels)
    frame = pl.DataFrame(
        {
            "channel": pl.Series(channels, dtype=pl.String),
            "shap_x": [0.5] * n,
            REASON_CODES: [["X_HIGH"]] * n,
        }
    )
    return frame, pl.DataFrame({"x": [1.0] * n})


def test_a_real_none_in_a_later_batch_keeps_missing_values_apart():
    builder = SummaryBuilder(["x"], "channel")
    builder.add(*batch([None, None, "web"]))
    builder.add(*batch(["(none)", "web"]))
    summary = builder.build()
    rows = {k: v[0][1] for k, v in summary.reasons_by_segment.items()}
    assert rows == {"(missing)": 2, "(none)": 1, "web": 2}
    assert list(summary.importance_by_segment) == ["(missing)", "(none)", "web"]


def test_without_a_real_none_missing_values_are_none():
    builder = SummaryBuilder(["x"], "channel")
    builder.add(*batch([None, "web", None]))
    assert set(builder.build().reasons_by_segment) == {"(none)", "web"}


def test_the_name_is_never_a_real_value():
    taken = ["(none)", "(missing)", "(no value)", "(none) 2", None]
    assert name_missing(taken) == "(none) 3"
    assert name_missing([None, "a"]) == "(none)"
