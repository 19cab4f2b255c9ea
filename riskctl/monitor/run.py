"""One monitor run: what moved between the reference and the current rows, and why."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from riskctl.data.digest import start, take
from riskctl.errors import DataError, name_list
from riskctl.model.bins import reference_bins
from riskctl.monitor.attribution import Attribution, ScoreShift, attribute, shap_shift
from riskctl.monitor.construction import by_construction, time_span, trending
from riskctl.monitor.estimates import Estimates, calibration_of, label_free_estimates
from riskctl.monitor.inputs import (
    SIDE,
    MonitorOptions,
    Sides,
    feature_columns,
    labels_array,
    load_sides,
    missing_columns,
)
from riskctl.monitor.psi import FeatureDrift, column_drift, drift_table, stored_bins
from riskctl.monitor.series import (
    PeriodPoint,
    ReferenceStats,
    Series,
    Spread,
    period_series,
    with_periods,
)
from riskctl.monitor.thresholds import ThresholdResult, check_thresholds, limits_of
from riskctl.strategy.decisions import SEGMENT


@dataclass(frozen=True)
class MonitorResult:
    reference_name: str
    current_name: str
    reference_rows: int | None
    current_rows: int
    strategy: str | None
    score: str | None
    drift: list[FeatureDrift]
    score_drift: FeatureDrift | None
    alert_rate: tuple[float | None, float | None]  # reference, current
    estimates: Estimates | None
    attributions: list[Attribution]
    score_shift: ScoreShift | None
    series: list[PeriodPoint]
    thresholds: list[ThresholdResult]
    warnings: list[str] = field(default_factory=list)
    evaluation_rows: dict[str, Any] | None = None  # current rows kept against a split
    alert_spread: Spread | None = None  # how the series' bands were measured
    score_spread: Spread | None = None
    default_limits: bool = False  # no `monitoring:` section: the default limits were checked
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (what, sha256)

    @property
    def failed(self) -> list[ThresholdResult]:
        return [t for t in self.thresholds if not t.passed]

    @property
    def alert_rate_change(self) -> float | None:
        ref, cur = self.alert_rate
        return cur - ref if ref is not None and cur is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": {"name": self.reference_name, "rows": self.reference_rows},
            "current": {"name": self.current_name, "rows": self.current_rows},
            "strategy": self.strategy,
            "score": self.score,
            "passed": not self.failed,
            "default_limits": self.default_limits,
            "thresholds": [t.to_dict() for t in self.thresholds],
            "drift": [d.to_dict() for d in self.drift],
            "score_drift": self.score_drift.to_dict() if self.score_drift else None,
            "alert_rate": {
                "reference": self.alert_rate[0],
                "current": self.alert_rate[1],
                "change": self.alert_rate_change,
            },
            "estimates": self.estimates.to_dict() if self.estimates else None,
            "attribution": [a.to_dict() for a in self.attributions],
            "score_shift": self.score_shift.to_dict() if self.score_shift else None,
            "series": [p.to_dict() for p in self.series],
            "bands": {
                "alert_rate": self.alert_spread.to_dict() if self.alert_spread else None,
                "mean_score": self.score_spread.to_dict() if self.score_spread else None,
            },
            "warnings": self.warnings,
            "evaluation_rows": self.evaluation_rows,
            "inputs": [{"name": n, "sha256": d} for n, d in self.inputs],
        }


def _mean(df: pl.DataFrame | None, column: str | None) -> float | None:
    if df is None or column is None or df.height == 0:
        return None
    value = df[column].cast(pl.Float64).mean()
    return float(value) if isinstance(value, float) else None


def _attributions(sides: Sides, by: tuple[str, ...]) -> list[Attribution]:
    ref, cur = sides.reference, sides.current
    if ref is None:
        return []
    columns = list(by) or ([SEGMENT] if sides.loaded and sides.loaded.strategy.segments else [])
    metrics: list[tuple[str, pl.Expr, pl.Expr]] = []
    if sides.flagged:
        metrics.append(("alert_rate", pl.col(sides.flagged), pl.lit(1.0)))
    if sides.score:
        metrics.append(("mean_score", pl.col(sides.score), pl.lit(1.0)))
    label = sides.label
    if (
        label
        and label in ref.columns
        and ref[label].drop_nulls().len()
        and cur[label].drop_nulls().len()
    ):
        known = pl.col(label).is_not_null().cast(pl.Float64)
        metrics.append(("bad_rate", pl.col(label).fill_null(0), known))
    out = []
    for column in columns:
        if column not in ref.columns or column not in cur.columns:
            raise DataError(
                f"--by {column}: no such column in both tables",
                hint="columns are: " + name_list(cur.columns),
            )
        for name, num, den in metrics:
            out.append(attribute(ref, cur, column, num, den, name))
    return out


def scores_are_probabilities(sides: Sides) -> bool:
    """Whether every score, current and reference, lies in [0, 1]: label-free estimates
    read a score as the probability that its row is bad, and mean nothing otherwise."""
    if not sides.score:
        return False
    for df in (sides.current, sides.reference):
        if df is None or sides.score not in df.columns:
            continue
        scores = df[sides.score].cast(pl.Float64).drop_nans().drop_nulls()
        if not scores.is_between(0.0, 1.0).all():
            return False
    return True


def _estimates(sides: Sides, probabilities: bool) -> Estimates | None:
    if not (sides.score and sides.flagged and probabilities):
        return None  # not probabilities: _warnings says so
    cur = sides.current
    days = sides.loaded.strategy.label_maturity_days if sides.loaded else 0.0
    labels = labels_array(cur, sides.label, sides.time, days)
    calibration = calibration_of(sides.detector.manifest) if sides.detector else None
    return label_free_estimates(
        sides.score,
        cur[sides.score].to_numpy(),
        cur[sides.flagged].to_numpy(),
        labels,
        calibration,
    )


def _series(sides: Sides, probabilities: bool) -> Series:
    if sides.time is None or sides.every is None or sides.origin is None:
        return Series([], None, None)
    parts = [sides.current.with_columns(pl.lit("current").alias(SIDE))]
    ref = sides.reference
    if ref is not None:
        parts.insert(0, ref.with_columns(pl.lit("reference").alias(SIDE)))
    keep = [c for c in (sides.time, sides.score, sides.flagged, sides.label) if c] + [SIDE]
    frame = pl.concat([p.select(keep) for p in parts], how="vertical_relaxed")
    frame = with_periods(frame, sides.time, sides.every, sides.origin)
    sd = ref[sides.score].cast(pl.Float64).std() if ref is not None and sides.score else None
    stats = ReferenceStats(
        _mean(ref, sides.score),
        float(sd) if isinstance(sd, float) else None,
        _mean(ref, sides.flagged),
        ref.height if ref is not None else 0,
    )
    bins = reference_bins(ref[sides.score]) if ref is not None and sides.score else None
    return period_series(frame, stats, sides.score, sides.flagged, sides.label, bins, probabilities)


def _warnings(
    sides: Sides, stored: bool, estimates: Estimates | None, probabilities: bool
) -> list[str]:
    out = []
    det = sides.detector
    if det is not None and not stored:
        out.append(
            f"{det.path} stores no training bins (trained by an older riskctl): PSI bins come "
            "from the reference table; retrain to make PSI comparable run to run"
        )
    if det is not None and (det.manifest.get("imbalance") or {}).get("method", "none") != "none":
        out.append(
            f"{det.path} was trained with class weights: its scores are not calibrated "
            "probabilities, so the label-free estimates are biased"
        )
    gone = missing_columns(sides)
    if gone:
        out.append("the current table lacks columns the reference has: " + ", ".join(gone))
    if sides.score and not probabilities:
        out.append(
            f"'{sides.score}' has values outside [0, 1]: not a probability, so no label-free "
            "estimates"
        )
    if estimates is not None:
        out += estimates.warnings
    return out


def _band_warnings(series: Series) -> list[str]:
    """Bands that could not be measured on the reference's own periods."""
    spreads = [s for s in (series.alert_spread, series.score_spread) if s is not None]
    banded = any(p.alert_band or p.score_band for p in series.points)
    if not banded or all(s.measured for s in spreads):
        return []
    few = min(s.periods for s in spreads)
    return [
        f"the reference has {few} period(s) with values: too few to measure how much its "
        "periods vary, so the series' bands count sampling noise only and are too narrow; "
        "use a shorter --every or a longer reference"
    ]


def run_monitor(o: MonitorOptions, sides: Sides | None = None) -> MonitorResult:
    """Drift, estimates, attribution, series and threshold checks for one comparison."""
    for path in (o.current, o.reference):
        if path is not None:
            start(path)  # hashed beside the reading
    sides = sides or load_sides(o)
    ref, cur = sides.reference, sides.current
    stored = stored_bins(sides.detector.manifest) if sides.detector is not None else {}
    drift = _marked(drift_table(cur, ref, feature_columns(sides), stored), sides)
    score_drift = None
    if sides.score and ref is not None and sides.score in ref.columns:
        score_drift = column_drift(sides.score, cur[sides.score], ref[sides.score])
    probabilities = scores_are_probabilities(sides)
    estimates = _estimates(sides, probabilities)
    shift = None
    if sides.detector is not None and ref is not None and o.sample > 0:
        shift = shap_shift(sides.detector, ref, cur, o.sample, o.seed)
    attributions = _attributions(sides, o.by)
    series = _series(sides, probabilities)
    warnings = _warnings(sides, bool(stored), estimates, probabilities) + _band_warnings(series)
    chosen = sides.evaluation_rows
    if chosen is not None and chosen.warning:
        warnings.insert(0, chosen.warning)
    if o.by and not attributions:
        warnings.append(
            "--by: no metric to attribute (pass --strategy for the alert rate, a score column "
            "or --detector for the mean score, or --label for the bad rate)"
        )
    loaded = sides.loaded
    alert = (_mean(ref, sides.flagged), _mean(cur, sides.flagged))
    change = alert[1] - alert[0] if alert[0] is not None and alert[1] is not None else None
    limits, defaults = limits_of(loaded.strategy if loaded else None)
    thresholds = check_thresholds(limits, drift, score_drift, change, estimates)
    if limits.new_blocks is not None:
        from riskctl.monitor.blocks import new_blocks, new_blocks_result

        found = new_blocks(limits.new_blocks, cur, sides.time, sides.current_name)
        thresholds.append(new_blocks_result(limits.new_blocks, found))
    return MonitorResult(
        reference_name=sides.reference_name,
        current_name=sides.current_name,
        reference_rows=ref.height if ref is not None else None,
        current_rows=cur.height,
        strategy=loaded.name if loaded else None,
        score=sides.score,
        drift=drift,
        score_drift=score_drift,
        alert_rate=alert,
        estimates=estimates,
        attributions=attributions,
        score_shift=shift,
        series=series.points,
        thresholds=thresholds,
        warnings=warnings,
        evaluation_rows=chosen.to_dict() if chosen is not None else None,
        alert_spread=series.alert_spread,
        score_spread=series.score_spread,
        default_limits=defaults,
        inputs=input_digests(o, sides),
    )


def _marked(drift: list[FeatureDrift], sides: Sides) -> list[FeatureDrift]:
    """The drift table with the features that drift by construction marked: from the
    detector's features spec, else by their steady trend through the reference."""
    det, ref = sides.detector, sides.reference
    why = {}
    if det is not None:
        span = time_span(ref if ref is not None else sides.current, sides.time)
        why = by_construction(det.path, det.manifest, span)
    if ref is not None:
        rest = [d.column for d in drift if d.column not in why and d.column in ref.columns]
        why |= trending(ref, sides.time, rest)
    return [replace(d, construction=why.get(d.column)) for d in drift]


def input_digests(o: MonitorOptions, sides: Sides) -> list[tuple[str, str]]:
    """What the run read, each with its sha256: the tables, the strategy, the model."""
    out = [(f"current {o.current.name}", take(o.current).result())]
    if o.reference is not None:
        out.append((f"reference {o.reference.name}", take(o.reference).result()))
    if sides.loaded is not None:
        out.append((f"strategy {sides.loaded.path.name}", sides.loaded.sha256))
    if sides.detector is not None:
        out.append(("detector model", str(sides.detector.manifest.get("model_sha256", ""))))
    return out
