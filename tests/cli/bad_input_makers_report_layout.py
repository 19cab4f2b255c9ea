"""Input makers for the report and peak-review-load cases (`cases/report_layout.yaml`)."""

from __future__ import annotations

from pathlib import Path

from bad_input_makers import Inputs, maker, strategy_text


@maker("negative_peak_limit")
def _negative_peak_limit(i: Inputs) -> Path:
    return i.text(
        "peak.yaml", strategy_text("time: event_time\nguardrails: {max_review_peak_per_day: -5}")
    )


@maker("negative_days_over")
def _negative_days_over(i: Inputs) -> Path:
    text = "time: event_time\nreview_capacity_per_day: 40\nguardrails: {max_days_over_capacity: -1}"
    return i.text("days.yaml", strategy_text(text))
