"""Chart specs (Vega-Lite through altair): declarative, interactive, drawn offline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np

from riskctl.model.ranking import TradeoffCurve
from riskctl.report.curve_points import drawn_indices, log_constant, log_ticks, threshold_indices


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec. altair's check of the spec against the Vega-Lite schema
    (jsonschema over the whole spec, most of a report's chart time) is left to the tests:
    these specs are riskctl's own, built the same way every time, never user text."""
    return chart.to_dict(validate=False)


@dataclass(frozen=True)
class Panel:
    """One trade-off panel: its curve, the strategies' dots and what its axes read."""

    curve: TradeoffCurve
    points: list[dict[str, Any]]
    x_field: str
    y_field: str
    x_title: str
    y_title: str
    title: str
    thresholds: tuple[float, ...] = ()  # score thresholds the strategies use: drawn exactly


def curve_line(panel: Panel, max_x: float) -> list[dict[str, Any]]:
    """The points the panel's line goes through: the starting point (nothing flagged) and
    the curve's points `drawn_indices` picks, exact at the strategies' thresholds."""
    c = panel.curve
    x, y, p = c.false_positive_rate, c.catch_rate, c.precision
    exact = threshold_indices(c.threshold, panel.thresholds)
    line: list[dict[str, Any]] = [{"threshold": None, panel.x_field: 0.0, panel.y_field: 0.0}]
    for i in drawn_indices(x, y, max_x, exact):
        line.append(
            {
                "threshold": float(c.threshold[i]),
                panel.x_field: float(x[i]),
                panel.y_field: float(y[i]),
                "precision": None if np.isnan(p[i]) else float(p[i]),
            }
        )
    return line


def zoom(panel: Panel, max_fpr: float | None) -> float:
    """The right edge of the FPR axis: three times the largest operating point (or the
    guardrail's limit), where the strategies operate."""
    xs = [max_fpr or 0.0] + [p[panel.x_field] or 0.0 for p in panel.points]
    return min(1.0, 3 * max(x for x in xs if math.isfinite(x)) or 0.05)


def _x_axis(panel: Panel, max_x: float, fpr_axis: str) -> tuple[Any, Any]:
    if fpr_axis == "log":
        constant = log_constant(panel.curve.false_positive_rate, max_x)
        scale = alt.Scale(type="symlog", constant=constant, domain=[0, max_x])
        axis = alt.Axis(format=".2~p", values=log_ticks(constant, max_x))
    else:
        scale = alt.Scale(domain=[0, max_x])
        axis = alt.Axis(format=".2~p")
    return alt.X(f"{panel.x_field}:Q", title=panel.x_title, axis=axis, scale=scale), scale


def _curve_panel(panel: Panel, max_fpr: float | None, fpr_axis: str) -> Any:
    x_field, y_field = panel.x_field, panel.y_field
    max_x = zoom(panel, max_fpr)
    x, scale = _x_axis(panel, max_x, fpr_axis)
    y = alt.Y(
        f"{y_field}:Q",
        title=panel.y_title,
        axis=alt.Axis(format=".0%"),
        scale=alt.Scale(domain=[0, 1]),
    )
    layers: list[Any] = []
    if max_fpr is not None:
        layers.append(_forbidden_region(max_fpr, max_x, scale))
    layers.append(
        alt.Chart(alt.Data(values=curve_line(panel, max_x)))
        .mark_line(color="#64748b", clip=True)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("threshold:Q", format=".4f"),
                alt.Tooltip(f"{y_field}:Q", format=".2%"),
                alt.Tooltip(f"{x_field}:Q", format=".3%"),
                alt.Tooltip("precision:Q", format=".2%"),
            ],
        )
    )
    layers.append(_operating_points(panel.points, x, y, x_field, y_field))
    return alt.layer(*layers).properties(width=330, height=300, title=panel.title)


def _forbidden_region(max_fpr: float, max_x: float, scale: Any) -> Any:
    """The region the max_false_positive_rate guardrail forbids."""
    return (
        alt.Chart(alt.Data(values=[{"from": max_fpr, "to": max_x}]))
        .mark_rect(color="#fee2e2", opacity=0.6)
        .encode(
            x=alt.X("from:Q", scale=scale),
            x2="to:Q",
            tooltip=[alt.Tooltip("from:Q", title="over max false-positive rate", format=".2%")],
        )
    )


def _operating_points(
    points: list[dict[str, Any]], x: Any, y: Any, x_field: str, y_field: str
) -> Any:
    return (
        alt.Chart(alt.Data(values=points))
        .mark_point(size=140, filled=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "strategy:N", title="Strategy", scale=alt.Scale(range=["#2563eb", "#ea580c"])
            ),
            shape=alt.Shape("strategy:N"),
            tooltip=[
                "strategy:N",
                alt.Tooltip(f"{y_field}:Q", format=".2%"),
                alt.Tooltip(f"{x_field}:Q", format=".3%"),
            ],
        )
    )


def tradeoff_chart(
    panels: list[Panel], max_fpr: float | None = None, fpr_axis: str = "log"
) -> dict[str, Any]:
    """Catch rate against false-positive rate with the strategies' operating points and the
    guardrail's forbidden region (first panel); the amount-weighted curve beside it.
    `fpr_axis`: log (symmetric log: linear below one good row's share) or linear."""
    drawn = [_curve_panel(p, max_fpr if i == 0 else None, fpr_axis) for i, p in enumerate(panels)]
    chart = alt.hconcat(*drawn) if len(drawn) > 1 else drawn[0]
    return spec_of(chart)


def _label_bins(score: np.ndarray, label: np.ndarray, bins: int) -> list[dict[str, Any]]:
    """Per label and score bin: its rows and their share of the label's rows."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for name, mask in (("bad", label == 1), ("good", label == 0)):
        counts, _ = np.histogram(np.clip(score[mask], 0.0, 1.0), bins=edges)
        total = max(int(mask.sum()), 1)
        rows += [
            {
                "label": name,
                "from": float(edges[i]),
                "to": float(edges[i + 1]),
                "rows": int(counts[i]),
                "share": float(counts[i] / total),
            }
            for i in range(bins)
        ]
    return rows


def _threshold_rules(thresholds: list[dict[str, Any]]) -> Any:
    """The strategies' thresholds on the score, one dashed rule each."""
    return (
        alt.Chart(alt.Data(values=thresholds))
        .mark_rule(strokeWidth=2, strokeDash=[4, 3], clip=True)
        .encode(
            x=alt.X("threshold:Q", scale=alt.Scale(domain=[0, 1])),
            stroke=alt.Stroke(
                "strategy:N", title="Thresholds", scale=alt.Scale(range=["#2563eb", "#ea580c"])
            ),
            tooltip=["strategy:N", "action:N", alt.Tooltip("threshold:Q", format=".4f")],
        )
    )


SHARE_TICKS = [0.0, 0.001, 0.01, 0.1, 1.0]


def score_distribution_chart(
    score: np.ndarray,
    label: np.ndarray,
    thresholds: list[dict[str, Any]] | None = None,
    bins: int = 40,
) -> dict[str, Any]:
    """Share of each label's rows in each score bin, on a log axis: most good rows sit in
    the lowest bins and bad rows spread out, so a linear axis shows the bad rows flat. The
    strategies' thresholds on this score are drawn as rules.

    Binned here, so the report carries 2 x `bins` numbers, not every row.
    """
    rows = _label_bins(score, label, bins)
    x = alt.X("from:Q", bin="binned", title="Score", scale=alt.Scale(domain=[0, 1]))
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(opacity=0.6)
        .encode(
            x=x,
            x2="to:Q",
            y=alt.Y(
                "share:Q",
                title="Share of the label's rows (log)",
                axis=alt.Axis(format=".2~p", values=SHARE_TICKS),
                scale=alt.Scale(type="symlog", constant=1e-4, domain=[0, 1]),
                stack=None,
            ),
            color=alt.Color(
                "label:N",
                title="Label",
                scale=alt.Scale(domain=["bad", "good"], range=["#dc2626", "#64748b"]),
            ),
            tooltip=[
                "label:N",
                alt.Tooltip("from:Q", format=".3f"),
                alt.Tooltip("to:Q", format=".3f"),
                alt.Tooltip("rows:Q", format=","),
                alt.Tooltip("share:Q", format=".2%"),
            ],
        )
    )
    layers = [bars, *([_threshold_rules(thresholds)] if thresholds else [])]
    chart = alt.layer(*layers).properties(
        width=560, height=220, title="Score distribution by label"
    )
    return spec_of(chart)


def importance_chart(importance: list[tuple[str, float]], top: int = 12) -> dict[str, Any]:
    """Mean |SHAP| per feature over the explained rows."""
    rows = [{"feature": f, "mean_abs_shap": v} for f, v in importance[:top]]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#2563eb")
        .encode(
            x=alt.X("mean_abs_shap:Q", title="Mean |SHAP| (log-odds)"),
            y=alt.Y("feature:N", sort="-x", title=None),
            tooltip=["feature:N", alt.Tooltip("mean_abs_shap:Q", format=".4f")],
        )
        .properties(
            width=480, height=18 * len(rows) + 20, title="Global importance over the flagged rows"
        )
    )
    return spec_of(chart)


def segment_chart(column: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Small multiples: catch rate and false-positive rate per segment value."""
    long = [
        {"segment": r["segment"], "metric": name, "value": r[key]}
        for r in rows
        for key, name in (
            ("catch_rate", "catch rate"),
            ("false_positive_rate", "false-positive rate"),
        )
        if r[key] is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=long))
        .mark_bar(color="#2563eb")
        .encode(
            x=alt.X("value:Q", title=None, axis=alt.Axis(format=".1%")),
            y=alt.Y("segment:N", title=column),
            column=alt.Column("metric:N", title=None),
            tooltip=["segment:N", "metric:N", alt.Tooltip("value:Q", format=".2%")],
        )
        .resolve_scale(x="independent")
        .properties(width=240, height=max(60, 22 * len(rows)))
    )
    return spec_of(chart)


def beeswarm_chart(dependence: dict[str, list[tuple[Any, float]]]) -> dict[str, Any]:
    """Each dot a row: its SHAP value for a top feature, coloured by how high the feature's
    value is among the rows shown (a beeswarm-style summary)."""
    points: list[dict[str, Any]] = []
    for feature, pairs in dependence.items():
        numeric = [v for v, _ in pairs if isinstance(v, int | float) and not isinstance(v, bool)]
        ranked = sorted(numeric)
        for value, shap in pairs:
            level = None
            if isinstance(value, bool):
                level = float(value)
            elif isinstance(value, int | float) and ranked:
                level = (
                    (ranked.index(value) / max(len(ranked) - 1, 1)) if len(ranked) < 2000 else None
                )
            # a fixed spread (golden-ratio steps), not random(): same inputs, same picture
            points.append(
                {
                    "feature": feature,
                    "shap": float(shap),
                    "value": str(value),
                    "level": level,
                    "jitter": (len(points) * 0.6180339887) % 1.0,
                }
            )
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_circle(size=18, opacity=0.7)
        .encode(
            x=alt.X("shap:Q", title="SHAP value (log-odds; right raises risk)"),
            y=alt.Y("feature:N", title=None, sort=list(dependence)),
            yOffset=alt.YOffset("jitter:Q"),
            color=alt.Color(
                "level:Q",
                title="Feature value (low to high)",
                scale=alt.Scale(range=["#2563eb", "#dc2626"]),
            ),
            tooltip=["feature:N", "value:N", alt.Tooltip("shap:Q", format=".3f")],
        )
        .properties(
            width=520,
            height=40 * max(len(dependence), 1),
            title="How the top features push scores (sample of flagged rows)",
        )
    )
    return spec_of(chart)
