"""Score and alert-rate time series, each period against the reference's band.

Periods are `--every` long (``12h``, ``1d``, ``7d``, ``2w``...) counted from midnight of the
first row's day. The reference band of a period is where its value falls 95% of the time if
nothing changed, judged by how much the reference's own periods vary. Real periods vary more
than sampling noise alone (weekdays, campaigns, the traffic mix), so the sampling variance
of a period of n rows, p0 (1 - p0) / n for the alert rate and sd^2 / n for the mean score, is
scaled by the reference's overdispersion

    phi = sum_k n_k (v_k - v0)^2 / (s^2 (K - 1)),   at least 1

over its K periods (a quasi-binomial model: with no extra variation phi is 1 and the band is
the binomial one). The band of a period of n rows is v0 +- t sqrt(phi s^2 (1/n + 1/N)), t being
the 97.5% quantile of Student's t with K - 1 degrees of freedom (phi is estimated from K
points) and N the reference's rows (1/n - 1/N for a period of the reference itself, which is
part of v0). When the periods vary no more than sampling noise does
(phi (K - 1) within the 95% quantile of chi-square with K - 1 degrees of freedom) phi is 1
and t is 1.96. With fewer than MIN_PERIODS reference periods phi cannot
be estimated: the band is the sampling one (phi = 1, t = 1.96), and the run says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import chi2
from scipy.stats import t as student_t

from riskctl.errors import UsageError
from riskctl.metrics.intervals import Z95
from riskctl.model.bins import Bins
from riskctl.monitor.psi import psi

PERIOD = "_period"
REF = "reference"  # the `_side` of the reference's rows
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
    """Midnight of the first row's day (a date column's first date)."""
    first = times.min()
    if isinstance(first, date) and not isinstance(first, datetime):
        return datetime(first.year, first.month, first.day)
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
    rows: int = 0  # the reference's rows, N


MIN_PERIODS = 3  # reference periods needed to measure their spread


@dataclass(frozen=True)
class Spread:
    """How much more the reference's periods vary than sampling noise says (`phi`), and the
    band's multiplier for an estimate of phi from `periods` points."""

    phi: float
    periods: int
    quantile: float

    @property
    def measured(self) -> bool:
        return self.periods >= MIN_PERIODS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"measured": self.measured}


def spread(
    values: list[tuple[float | None, int]], center: float | None, sd: float | None
) -> Spread:
    """The overdispersion of period values (value, rows) around `center`, whose one-row
    sampling standard deviation is `sd`."""
    usable = [(v, n) for v, n in values if v is not None and n > 0]
    k = len(usable)
    if k < MIN_PERIODS or center is None or not sd:
        return Spread(1.0, k, Z95)
    phi = sum(n * (v - center) ** 2 for v, n in usable) / (sd**2 * (k - 1))
    if phi * (k - 1) <= chi2.ppf(0.95, k - 1):  # no more variation than sampling noise
        return Spread(1.0, k, Z95)
    return Spread(phi, k, float(student_t.ppf(0.975, k - 1)))


def band(
    center: float | None, sd: float | None, n: int, rows: int, s: Spread, own: bool = False
) -> tuple[float, float] | None:
    """Where the value of a stable period of `n` rows falls 95% of the time; an `own`
    period of the reference is part of `center`, so it strays less from it."""
    if center is None or sd is None or n == 0:
        return None
    pooled = (-1 if own else 1) * (1 / rows if rows > n else 0.0)
    half = s.quantile * sd * math.sqrt(s.phi * (1 / n + pooled))
    return (center - half, center + half)


@dataclass(frozen=True)
class _Raw:
    start: datetime
    side: str
    rows: int
    mean_score: float | None
    score_psi: float | None
    alert_rate: float | None
    bad_rate: float | None


def _raw(
    df: pl.DataFrame,
    score: str | None,
    flagged: str | None,
    label: str | None,
    score_bins: Bins | None,
) -> list[_Raw]:
    out = []
    for (start, side), part in sorted(
        df.group_by([PERIOD, "_side"]), key=lambda kv: (kv[0][0], kv[0][1] != "reference")
    ):
        assert isinstance(start, datetime)
        labelled = part[label].drop_nulls() if label else None
        out.append(
            _Raw(
                start,
                str(side),
                part.height,
                _mean(part[score]) if score else None,
                psi(np.array(score_bins.counts), score_bins.count(part[score]))
                if score_bins is not None and score
                else None,
                _mean(part[flagged]) if flagged else None,
                _mean(labelled) if labelled is not None and labelled.len() else None,
            )
        )
    return out


@dataclass(frozen=True)
class Series:
    points: list[PeriodPoint]
    alert_spread: Spread | None
    score_spread: Spread | None


def period_series(
    df: pl.DataFrame,
    ref: ReferenceStats,
    score: str | None,
    flagged: str | None,
    label: str | None,
    score_bins: Bins | None,
    probabilities: bool = True,
) -> Series:
    """One point per period of `df` (which has PERIOD and `_side` columns), each against the
    band the reference's own periods give. The expected bad rate is the mean score only
    when the scores are `probabilities` (all in [0, 1])."""
    raw = _raw(df, score, flagged, label, score_bins)
    p0 = ref.alert_rate
    alert_sd = math.sqrt(p0 * (1 - p0)) if p0 is not None else None
    own = [r for r in raw if r.side == REF]
    alert = spread([(r.alert_rate, r.rows) for r in own], p0, alert_sd) if flagged else None
    scored = spread([(r.mean_score, r.rows) for r in own], ref.mean_score, ref.sd_score)
    points = [
        PeriodPoint(
            start=r.start,
            side=r.side,
            rows=r.rows,
            mean_score=r.mean_score,
            score_band=band(ref.mean_score, ref.sd_score, r.rows, ref.rows, scored, r.side == REF),
            score_psi=r.score_psi,
            alert_rate=r.alert_rate,
            alert_band=band(p0, alert_sd, r.rows, ref.rows, alert, r.side == REF)
            if alert
            else None,
            bad_rate=r.bad_rate,
            expected_bad_rate=r.mean_score if probabilities else None,
        )
        for r in raw
    ]
    return Series(points, alert, scored if score else None)


def _mean(s: pl.Series) -> float | None:
    value = s.cast(pl.Float64).mean()
    return float(value) if isinstance(value, float) and not np.isnan(value) else None
