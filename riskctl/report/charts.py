"""Chart specs (Vega-Lite through altair): declarative, interactive, drawn offline."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np

from riskctl.model.ranking import TradeoffCurve

MAX_CURVE_POINTS = 400


def _curve_sample(curve: TradeoffCurve) -> np.ndarray:
    """Indices of at most MAX_CURVE_POINTS points, spread evenly along the curve's FPR."""
    n = len(curve.threshold)
    if n <= MAX_CURVE_POINTS:
        return np.arange(n)
    fpr = curve.false_positive_rate
    targets = np.linspace(0.0, 1.0, MAX_CURVE_POINTS)
    idx = np.searchsorted(fpr, targets, side="left").clip(0, n - 1)
    # keep the low-FPR region dense: it is where operating points live
    head = np.arange(min(n, MAX_CURVE_POINTS // 4))
    return np.unique(np.r_[head, idx, n - 1])


def tradeoff_chart(curve: TradeoffCurve, points: list[dict[str, Any]],
                   max_fpr: float | None = None) -> dict[str, Any]:
    """Catch rate against false-positive rate, with the strategies' operating points."""
    idx = _curve_sample(curve)
    line = [{"threshold": round(float(curve.threshold[i]), 6),
             "false_positive_rate": float(curve.false_positive_rate[i]),
             "catch_rate": float(curve.catch_rate[i]),
             "precision": float(curve.precision[i])} for i in idx]
    # zoom on the low-FPR region where operating points live
    max_x = min(1.0, 3 * max([max_fpr or 0.0] + [p["false_positive_rate"] for p in points])
                or 0.05)
    x = alt.X("false_positive_rate:Q", title="False-positive rate",
              axis=alt.Axis(format=".1%"), scale=alt.Scale(domain=[0, max_x]))
    y = alt.Y("catch_rate:Q", title="Catch rate", axis=alt.Axis(format=".0%"),
              scale=alt.Scale(domain=[0, 1]))
    curve_layer = alt.Chart(alt.Data(values=line)).mark_line(
        color="#64748b", clip=True).encode(
        x=x, y=y, tooltip=[alt.Tooltip("threshold:Q", format=".4f"),
                           alt.Tooltip("catch_rate:Q", format=".2%"),
                           alt.Tooltip("false_positive_rate:Q", format=".3%"),
                           alt.Tooltip("precision:Q", format=".2%")])
    point_layer = alt.Chart(alt.Data(values=points)).mark_point(
        size=140, filled=True).encode(
        x=x, y=y, color=alt.Color("strategy:N", title="Strategy",
                                  scale=alt.Scale(range=["#2563eb", "#ea580c"])),
        shape=alt.Shape("strategy:N"),
        tooltip=["strategy:N", alt.Tooltip("catch_rate:Q", format=".2%"),
                 alt.Tooltip("false_positive_rate:Q", format=".3%"),
                 alt.Tooltip("precision:Q", format=".2%")])
    layers: list[Any] = [curve_layer, point_layer]
    if max_fpr is not None:
        layers.append(alt.Chart(alt.Data(values=[{"limit": max_fpr}])).mark_rule(
            color="#dc2626", strokeDash=[4, 4]).encode(
            x=alt.X("limit:Q", scale=alt.Scale(domain=[0, max_x])),
            tooltip=[alt.Tooltip("limit:Q", title="max false-positive rate", format=".2%")]))
    chart = alt.layer(*layers).properties(
        width=560, height=340,
        title="Catch rate vs false-positive rate (detector score alone; dots: strategies)")
    return chart.to_dict()


def score_distribution_chart(score: np.ndarray, label: np.ndarray,
                             bins: int = 40) -> dict[str, Any]:
    """Share of bad and of good rows in each score bin: how well the score separates them.

    Binned here, so the report carries 2 x `bins` numbers, not every row.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for name, mask in (("bad", label == 1), ("good", label == 0)):
        counts, _ = np.histogram(np.clip(score[mask], 0.0, 1.0), bins=edges)
        total = max(int(mask.sum()), 1)
        rows += [{"label": name, "from": float(edges[i]), "to": float(edges[i + 1]),
                  "rows": int(counts[i]), "share": float(counts[i] / total)}
                 for i in range(bins)]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar(opacity=0.6).encode(
        x=alt.X("from:Q", bin="binned", title="Score"), x2="to:Q",
        y=alt.Y("share:Q", title="Share of the label's rows", axis=alt.Axis(format=".0%"),
                stack=None),
        color=alt.Color("label:N", title="Label",
                        scale=alt.Scale(domain=["bad", "good"], range=["#dc2626", "#64748b"])),
        tooltip=["label:N", alt.Tooltip("from:Q", format=".3f"), alt.Tooltip("to:Q", format=".3f"),
                 alt.Tooltip("rows:Q", format=","), alt.Tooltip("share:Q", format=".2%")],
    ).properties(width=560, height=220, title="Score distribution by label")
    return chart.to_dict()


def importance_chart(importance: list[tuple[str, float]], top: int = 12) -> dict[str, Any]:
    """Mean |SHAP| per feature over the explained rows."""
    rows = [{"feature": f, "mean_abs_shap": v} for f, v in importance[:top]]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar(color="#2563eb").encode(
        x=alt.X("mean_abs_shap:Q", title="Mean |SHAP| (log-odds)"),
        y=alt.Y("feature:N", sort="-x", title=None),
        tooltip=["feature:N", alt.Tooltip("mean_abs_shap:Q", format=".4f")],
    ).properties(width=480, height=18 * len(rows) + 20,
                 title="Global importance over the flagged rows")
    return chart.to_dict()
