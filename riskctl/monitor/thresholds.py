"""The strategy's `monitoring:` limits, checked against one monitor run.

A strategy without a `monitoring:` section (or no strategy) is checked against DEFAULTS:
a PSI of 0.25 (the usual mark of a large shift) for each feature and for the score, a
missing share that rises by 10 points, and 10% of rows with a category never seen. An
explicit `monitoring: {}` checks nothing. Features that drift by construction are left out
of `max_psi`, `max_missing_rate_increase` and `max_unseen_share` (a `max_psi_per_feature`
limit naming one still applies)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from riskctl.monitor.estimates import Estimates
from riskctl.monitor.psi import FeatureDrift
from riskctl.strategy.schema import Monitoring, Strategy

DEFAULTS = Monitoring(
    max_psi=0.25, max_score_psi=0.25, max_missing_rate_increase=0.10, max_unseen_share=0.10
)


def limits_of(strategy: Strategy | None) -> tuple[Monitoring, bool]:
    """The limits to check and whether they are the defaults: a strategy's `monitoring:`
    section when it has one (even empty), else DEFAULTS."""
    if strategy is not None and "monitoring" in strategy.model_fields_set:
        return strategy.monitoring, False
    return DEFAULTS, True


@dataclass(frozen=True)
class ThresholdResult:
    id: str  # the `monitoring:` key, with the feature for per-feature limits
    limit: float
    value: float | None
    passed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _over(key: str, what: str, value: float | None, limit: float, fmt: str) -> ThresholdResult:
    passed = value is None or value <= limit
    shown = "n/a" if value is None else format(value, fmt)
    verdict = "within" if passed else "over"
    message = f"{what} is {shown}, {verdict} the limit {format(limit, fmt)}"
    return ThresholdResult(key, limit, value, passed, message)


def check_thresholds(
    limits: Monitoring,
    drift: list[FeatureDrift],
    score_drift: FeatureDrift | None,
    alert_rate_change: float | None,
    estimates: Estimates | None,
) -> list[ThresholdResult]:
    """One result per limit and feature it applies to; features in table order."""
    out = []
    for d in drift:
        named = d.column in limits.max_psi_per_feature
        limit = limits.max_psi_per_feature.get(d.column, limits.max_psi)
        if limit is not None and (named or d.construction is None):
            key = "max_psi_per_feature" if named else "max_psi"
            out.append(_over(f"{key}:{d.column}", f"PSI of {d.column}", d.psi, limit, ".3f"))
        if limits.max_missing_rate_increase is not None and d.construction is None:
            out.append(
                _over(
                    f"max_missing_rate_increase:{d.column}",
                    f"missing share of {d.column} rose by",
                    d.missing_change,
                    limits.max_missing_rate_increase,
                    ".2%",
                )
            )
        if (
            limits.max_unseen_share is not None
            and d.unseen_share is not None
            and not d.construction
        ):
            out.append(
                _over(
                    f"max_unseen_share:{d.column}",
                    f"share of {d.column} never seen in the reference",
                    d.unseen_share,
                    limits.max_unseen_share,
                    ".2%",
                )
            )
    if limits.max_score_psi is not None and score_drift is not None:
        out.append(
            _over("max_score_psi", "PSI of the score", score_drift.psi, limits.max_score_psi, ".3f")
        )
    if limits.max_alert_rate_change is not None and alert_rate_change is not None:
        out.append(
            _over(
                "max_alert_rate_change",
                "alert-rate change",
                abs(alert_rate_change),
                limits.max_alert_rate_change,
                ".2%",
            )
        )
    if limits.min_estimated_precision is not None and estimates is not None:
        out.append(_precision(limits.min_estimated_precision, estimates))
    return out


def _precision(limit: float, estimates: Estimates) -> ThresholdResult:
    e = estimates.get("precision")
    value = e.value if e else None
    high = e.high if e else None
    passed = high is None or high >= limit
    shown = "n/a" if value is None else f"{value:.2%} (95% up to {high:.2%})"
    verdict = "meets" if passed else "is below"
    return ThresholdResult(
        "min_estimated_precision",
        limit,
        value,
        passed,
        f"estimated precision {shown} {verdict} the minimum {limit:.2%}",
    )
