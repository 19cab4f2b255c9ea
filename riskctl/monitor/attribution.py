"""What moved a metric between two periods: segments (mix and rate) and features (SHAP).

A ratio metric M = sum_s num_s / sum_s den_s is a share-weighted mean of segment rates,
M = sum_s w_s m_s with w_s = den_s / sum den and m_s = num_s / den_s. Its change splits
exactly, segment by segment, into a mix term (the segment's share moved) and a rate term (the
metric within the segment moved), with midpoint weights so neither period is privileged:

    mix_s  = (w1_s - w0_s) * (m0_s + m1_s) / 2
    rate_s = (m1_s - m0_s) * (w0_s + w1_s) / 2

and sum_s (mix_s + rate_s) = M1 - M0. A segment present in one period only takes its rate
from that period (its change is then all mix).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.values import name_missing
from riskctl.errors import DataError
from riskctl.explain.contributions import contributions
from riskctl.model.bins import NUMERIC, kind_of, reference_bins
from riskctl.model.detector import Detector

MAX_SEGMENTS = 50


@dataclass(frozen=True)
class SegmentTerm:
    segment: str
    share_reference: float
    share_current: float
    rate_reference: float | None
    rate_current: float | None
    mix: float
    rate: float

    @property
    def total(self) -> float:
        return self.mix + self.rate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total": self.total}


@dataclass(frozen=True)
class Attribution:
    metric: str
    by: str
    reference: float
    current: float
    terms: list[SegmentTerm]  # largest |mix + rate| first

    @property
    def change(self) -> float:
        return self.current - self.reference

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "by": self.by,
            "reference": self.reference,
            "current": self.current,
            "change": self.change,
            "mix": sum(t.mix for t in self.terms),
            "rate": sum(t.rate for t in self.terms),
            "segments": [t.to_dict() for t in self.terms],
        }


def decompose(
    reference: dict[str, tuple[float, float]],
    current: dict[str, tuple[float, float]],
    metric: str = "metric",
    by: str = "segment",
) -> Attribution:
    """Split the change of sum(num)/sum(den) into mix and rate terms per segment.
    `reference` and `current` map segment -> (numerator, denominator)."""
    d0 = sum(den for _, den in reference.values())
    d1 = sum(den for _, den in current.values())
    if d0 <= 0 or d1 <= 0:
        raise DataError(f"cannot attribute {metric}: a period has no rows it counts")
    terms = []
    for seg in sorted(set(reference) | set(current)):
        n0, den0 = reference.get(seg, (0.0, 0.0))
        n1, den1 = current.get(seg, (0.0, 0.0))
        if den0 <= 0 and den1 <= 0:
            continue
        m0 = n0 / den0 if den0 > 0 else None
        m1 = n1 / den1 if den1 > 0 else None
        r0 = m0 if m0 is not None else m1
        r1 = m1 if m1 is not None else m0
        assert r0 is not None and r1 is not None
        w0, w1 = den0 / d0, den1 / d1
        terms.append(
            SegmentTerm(seg, w0, w1, m0, m1, (w1 - w0) * (r0 + r1) / 2, (r1 - r0) * (w0 + w1) / 2)
        )
    terms.sort(key=lambda t: (-abs(t.total), t.segment))
    m_ref = sum(n for n, _ in reference.values()) / d0
    m_cur = sum(n for n, _ in current.values()) / d1
    return Attribution(metric, by, m_ref, m_cur, terms)


def segment_values(reference: pl.Series, current: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Segment labels for both periods: the values themselves, or for a number with many
    values the reference's decile bins."""
    if kind_of(reference.dtype) == NUMERIC and reference.n_unique() > 20:
        bins = reference_bins(reference)
        labels = bins.labels()

        def label(s: pl.Series) -> pl.Series:
            v = s.cast(pl.Float64).fill_nan(None).to_numpy()
            idx = np.where(np.isnan(v), len(labels) - 1, np.searchsorted(bins.edges, v, "left"))
            return pl.Series(s.name, np.asarray(labels, dtype=object)[idx], dtype=pl.String)

        return label(reference), label(current)
    text = [s.cast(pl.String) for s in (reference, current)]
    missing = name_missing(pl.concat(text).unique().to_list())  # as every `--by` names it
    out = [t.fill_null(missing) for t in text]
    if out[0].n_unique() + out[1].n_unique() > 2 * MAX_SEGMENTS:
        raise DataError(
            f"--by {reference.name}: too many distinct values to attribute to",
            hint="pick a column with fewer values (a segment, category or country)",
        )
    return out[0], out[1]


def attribute(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    by: str,
    numerator: pl.Expr,
    denominator: pl.Expr,
    metric: str,
) -> Attribution:
    """Mix and rate terms of `metric` = sum(numerator) / sum(denominator) by column `by`."""
    seg_ref, seg_cur = segment_values(reference[by], current[by])

    def sums(df: pl.DataFrame, seg: pl.Series) -> dict[str, tuple[float, float]]:
        grouped = (
            df.select(
                seg.alias("_seg"),
                numerator.cast(pl.Float64).alias("_num"),
                denominator.cast(pl.Float64).alias("_den"),
            )
            .group_by("_seg")
            .agg(pl.col("_num").sum(), pl.col("_den").sum())
        )
        return {str(s): (float(n), float(d)) for s, n, d in grouped.iter_rows()}

    return decompose(sums(reference, seg_ref), sums(current, seg_cur), metric, by)


@dataclass(frozen=True)
class FeatureShift:
    feature: str
    reference_mean: float
    current_mean: float

    @property
    def shift(self) -> float:
        return self.current_mean - self.reference_mean


@dataclass(frozen=True)
class ScoreShift:
    """Mean SHAP value per feature on a sample of each period, in log-odds: the shifts add up
    to the change of the mean margin (the bias is the same constant in both periods)."""

    sample_reference: int
    sample_current: int
    seed: int
    margin_reference: float
    margin_current: float
    features: list[FeatureShift]  # largest |shift| first

    @property
    def margin_change(self) -> float:
        return self.margin_current - self.margin_reference

    def to_dict(self) -> dict[str, Any]:
        return {
            "sample_reference": self.sample_reference,
            "sample_current": self.sample_current,
            "seed": self.seed,
            "margin_reference": self.margin_reference,
            "margin_current": self.margin_current,
            "margin_change": self.margin_change,
            "features": [asdict(f) | {"shift": f.shift} for f in self.features],
        }


def _sample(df: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    return df if df.height <= n else df.sample(n, seed=seed)


def shap_shift(
    detector: Detector, reference: pl.DataFrame, current: pl.DataFrame, sample: int, seed: int
) -> ScoreShift:
    """Score drift attributed to features through the mean SHAP shift on random samples of
    at most `sample` rows per period (seeded)."""
    ref = contributions(detector, _sample(reference, sample, seed))
    cur = contributions(detector, _sample(current, sample, seed + 1))
    mean_ref = ref.values.astype(np.float64).mean(axis=0)
    mean_cur = cur.values.astype(np.float64).mean(axis=0)
    feats = [
        FeatureShift(name, float(a), float(b))
        for name, a, b in zip(detector.feature_names, mean_ref, mean_cur, strict=True)
    ]
    feats.sort(key=lambda f: (-abs(f.shift), f.feature))
    return ScoreShift(
        ref.values.shape[0],
        cur.values.shape[0],
        seed,
        float(ref.margin.mean()),
        float(cur.margin.mean()),
        feats,
    )
