"""Score and alert-rate time series, each period against the reference's band.

Periods are `--every` long (``12h``, ``1d``, ``7d``, ``2w``...) counted from midnight of the
first row's day. The reference band of a period is where its value falls 95% of the time if
nothing changed: the reference rate p0 +- 1.96 sqrt(p0 (1 - p0) / n) for the alert rate, the
reference mean +- 1.96 sd / sqrt(n) for the mean score, n being the period's rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.metrics.intervals import Z95
from riskctl.model.bins import Bins
from riskctl.monitor.psi import psi

PERIOD = "_period"
_EVERY = re.compile(r"^(\d+)([hdw])$")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


MAX_EVERY = 999_999  # of a unit: as for feature windows; 999999w is about 19,000 years


def parse_every(text: str) -> timedelta:
    match = _EVERY.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"--every {text[:40]!r}: not a period",
            hint="use hours, days or weeks: 12h, 1d, 7d, 2w",
        )
    if len(match.group(1)) > len(str(MAX_EVERY)) or int(match.group(1)) > MAX_EVERY:
        raise UsageError(
            f"--every {text[:40]!r}: too long a period (at most {MAX_EVERY:,} of a unit)",
            hint="use hours, days or weeks: 12h, 1d, 7d, 2w",
        )
    return int(match.group(1)) * _UNIT[match.group(2)]


def origin_of(times: pl.Series) -> datetime:
    first = times.min()
    if not isinstance(first, datetime):
        raise UsageError("--every needs a date or time column", hint="name it with --time COL")
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def with_periods(df: pl.DataFrame, time: str, every: timedelta, origin: datetime) -> pl.DataFrame:
    """`df` plus the start of each row's period."""
    step = int(every / timedelta(microseconds=1))
    dtype = df.schema[time]
    unit = pl.Datetime("us", getattr(dtype, "time_zone", None))  # a time zone is kept
    since = (pl.col(time).cast(unit) - pl.lit(origin)).dt.total_microseconds()
    start = pl.lit(origin) + pl.duration(microseconds=(since // step) * step)
    return df.with_columns(start.cast(unit).alias(PERIOD))


@dataclass(frozen=True)
class PeriodPoint:
    start: datetime
    side: str  # "reference" or "current"
    rows: int
    mean_score: float | None
    score_band: tuple[float, float] | None
    score_psi: float | None
    alert_rate: float | None
    alert_band: tuple[float, float] | None
    bad_rate: float | None  # realised, on the period's labelled rows
    expected_bad_rate: float | None  # the mean score, when scores are calibrated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"start": self.start.isoformat()}


@dataclass(frozen=True)
class ReferenceStats:
    mean_score: float | None
    sd_score: float | None
    alert_rate: float | None


def _band(center: float | None, sd: float | None, n: int) -> tuple[float, float] | None:
    if center is None or sd is None or n == 0:
        return None
    half = Z95 * sd / math.sqrt(n)
    return (center - half, center + half)


def period_series(
    df: pl.DataFrame,
    ref: ReferenceStats,
    score: str | None,
    flagged: str | None,
    label: str | None,
    score_bins: Bins | None,
    probabilities: bool = True,
) -> list[PeriodPoint]:
    """One point per period of `df` (which has PERIOD and `_side` columns). The expected
    bad rate is the mean score only when the scores are `probabilities` (all in [0, 1])."""
    points = []
    alert_sd = (
        math.sqrt(ref.alert_rate * (1 - ref.alert_rate)) if ref.alert_rate is not None else None
    )
    for (start, side), part in sorted(
        df.group_by([PERIOD, "_side"]), key=lambda kv: (kv[0][0], kv[0][1] != "reference")
    ):
        assert isinstance(start, datetime)
        n = part.height
        mean_score = _mean(part[score]) if score else None
        labelled = part[label].drop_nulls() if label else None
        points.append(
            PeriodPoint(
                start=start,
                side=str(side),
                rows=n,
                mean_score=mean_score,
                score_band=_band(ref.mean_score, ref.sd_score, n),
                score_psi=psi(np.array(score_bins.counts), score_bins.count(part[score]))
                if score_bins is not None and score
                else None,
                alert_rate=_mean(part[flagged]) if flagged else None,
                alert_band=_band(ref.alert_rate, alert_sd, n),
                bad_rate=_mean(labelled) if labelled is not None and labelled.len() else None,
                expected_bad_rate=mean_score if probabilities else None,
            )
        )
    return points


def _mean(s: pl.Series) -> float | None:
    value = s.cast(pl.Float64).mean()
    return float(value) if isinstance(value, float) and not np.isnan(value) else None
