"""The HTML monitor report: its typed context, its charts, and rendering with the same
templates machinery and chart style as the strategy report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt

from riskctl.data.io import write_text
from riskctl.model.detector import library_versions
from riskctl.monitor.attribution import Attribution
from riskctl.monitor.run import MonitorResult
from riskctl.output.monitor import construction_text, default_limits_text
from riskctl.report.charts import spec_of
from riskctl.report.figures import Chart
from riskctl.report.render import render_page, vega_bundle

MONITOR_TEMPLATE = "monitor.html.j2"
MAX_PSI_ROWS = 40
WIDTH = 820
BLUE, GREY, RED = "#2563eb", "#64748b", "#b91c1c"


@dataclass(frozen=True)
class DriftRow:
    column: str
    psi: str
    level: str  # "", "moderate" (>= 0.1) or "large" (>= 0.25)
    missing: str
    unseen: str
    moved: str
    bins_from: str
    construction: str = ""  # why it drifts by construction (left out of the verdicts)


@dataclass(frozen=True)
class MonitorContext:
    title: str
    reference_name: str
    current_name: str
    reference_rows: str
    current_rows: str
    cards: list[tuple[str, str, str]]  # label, value, sub
    thresholds: list[tuple[str, bool, str]]  # id, passed, message
    drift: list[DriftRow]
    estimates: list[tuple[str, str, str]]  # metric, value, interval
    checks: list[tuple[str, str, str, bool]]  # metric, realised, expected, agrees
    attribution: list[dict[str, str]]
    attribution_title: str
    score_shift: str
    warnings: list[str]
    charts: list[Chart]
    command: str
    limits_note: str = ""
    versions: dict[str, str] = field(default_factory=library_versions)
    checksums: list[tuple[str, str]] = field(default_factory=list)
    vega_bundle: str = ""


def _pct(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{100 * v:.{digits}f}%"


def _level(psi: float | None) -> str:
    return "" if psi is None else ("large" if psi >= 0.25 else "moderate" if psi >= 0.1 else "")


def series_chart(r: MonitorResult, field_name: str, band: str, title: str) -> dict[str, Any]:
    points = [
        {
            "start": p.start.isoformat(),
            "side": p.side,
            "value": getattr(p, field_name),
            "low": (getattr(p, band) or (None, None))[0],
            "high": (getattr(p, band) or (None, None))[1],
            "rows": p.rows,
        }
        for p in r.series
        if getattr(p, field_name) is not None
    ]
    x = alt.X("start:T", title="period")
    data = alt.Data(values=points)
    area = (
        alt.Chart(data).mark_area(color="#dbeafe", opacity=0.7).encode(x=x, y="low:Q", y2="high:Q")
    )
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=BLUE)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=title, axis=alt.Axis(format=".2%")),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["reference", "current"], range=[GREY, BLUE]),
                title=None,
            ),
            tooltip=["start:T", "side:N", alt.Tooltip("value:Q", format=".3%"), "rows:Q"],
        )
    )
    return spec_of((area + line).properties(width=WIDTH, height=260))


def psi_chart(r: MonitorResult) -> dict[str, Any]:
    rows = [
        {"feature": d.column, "psi": d.psi} for d in r.drift[:MAX_PSI_ROWS] if d.psi is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X("psi:Q", title="PSI"),
            y=alt.Y("feature:N", sort="-x", title=None),
            tooltip=["feature:N", alt.Tooltip("psi:Q", format=".3f")],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"x": 0.25}]))
        .mark_rule(color=RED, strokeDash=[4, 4])
        .encode(x="x:Q")
    )
    return spec_of((chart + rule).properties(width=WIDTH, height=max(120, 22 * len(rows))))


def waterfall_chart(a: Attribution, top: int = 10) -> dict[str, Any]:
    """Reference value, then each segment's mix and rate terms, then the current value."""
    steps: list[tuple[str, float]] = []
    for t in a.terms[:top]:
        steps += [(f"{t.segment} (mix)", t.mix), (f"{t.segment} (rate)", t.rate)]
    rest = sum(t.total for t in a.terms[top:])
    if a.terms[top:]:
        steps.append(("other segments", rest))
    bars = [{"step": "reference", "start": 0.0, "end": a.reference, "kind": "level"}]
    level = a.reference
    for name, delta in steps:
        bars.append(
            {
                "step": name,
                "start": level,
                "end": level + delta,
                "kind": "up" if delta >= 0 else "down",
            }
        )
        level += delta
    bars.append({"step": "current", "start": 0.0, "end": a.current, "kind": "level"})
    order = [str(b["step"]) for b in bars]
    return spec_of(
        alt.Chart(alt.Data(values=bars))
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("start:Q", title=a.metric.replace("_", " ")),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=["level", "up", "down"], range=[GREY, RED, "#15803d"]),
                legend=None,
            ),
            tooltip=[
                "step:N",
                alt.Tooltip("start:Q", format=".4f"),
                alt.Tooltip("end:Q", format=".4f"),
            ],
        )
        .properties(width=WIDTH, height=300)
    )


def _charts(r: MonitorResult) -> list[Chart]:
    charts = []
    if any(p.alert_rate is not None for p in r.series):
        charts.append(
            Chart(
                "alert-series",
                "Alert rate per period, with the 95% band from how the reference's periods vary",
                series_chart(r, "alert_rate", "alert_band", "alert rate"),
            )
        )
    if any(p.mean_score is not None for p in r.series):
        charts.append(
            Chart(
                "score-series",
                "Mean score per period, with the 95% band from how the reference's periods vary",
                series_chart(r, "mean_score", "score_band", "mean score"),
            )
        )
    if r.drift:
        charts.append(Chart("psi", "PSI per feature (dashed: 0.25, a large shift)", psi_chart(r)))
    if r.attributions:
        a = r.attributions[0]
        charts.append(
            Chart(
                "waterfall",
                f"What moved {a.metric.replace('_', ' ')}: mix and rate by {a.by}",
                waterfall_chart(a),
            )
        )
    return charts


def _attribution_rows(a: Attribution) -> list[dict[str, str]]:
    def rate(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.4g}"

    return [
        {
            "segment": t.segment,
            "share": f"{_pct(t.share_reference, 1)} → {_pct(t.share_current, 1)}",
            "rate": f"{rate(t.rate_reference)} → {rate(t.rate_current)}",
            "mix": f"{t.mix:+.4f}",
            "rate_term": f"{t.rate:+.4f}",
            "total": f"{t.total:+.4f}",
        }
        for t in a.terms
    ]


def _cards(r: MonitorResult) -> list[tuple[str, str, str]]:
    ref_a, cur_a = r.alert_rate
    ref_rows = f"reference {r.reference_rows:,}" if r.reference_rows is not None else ""
    cards = [("current rows", f"{r.current_rows:,}", ref_rows or "against training bins")]
    if cur_a is not None:
        cards.append(("alert rate", _pct(cur_a), f"reference {_pct(ref_a)}"))
    if r.score_drift is not None and r.score_drift.psi is not None:
        cards.append(("score PSI", f"{r.score_drift.psi:.3f}", "of the score"))
    if r.drift and r.drift[0].psi is not None:
        cards.append(("largest feature PSI", f"{r.drift[0].psi:.3f}", r.drift[0].column))
    crossed = f"{len(r.failed)} of {len(r.thresholds)}"
    source = "default limits" if r.default_limits else "the strategy's monitoring: section"
    cards.append(("limits crossed", crossed, source))
    return cards


def _shift_text(r: MonitorResult) -> str:
    if r.score_shift is None:
        return ""
    s = r.score_shift
    top = ", ".join(f"{f.feature} {f.shift:+.3f}" for f in s.features[:5])
    return (
        f"Mean margin moved {s.margin_change:+.3f} log-odds; mean SHAP shift per feature on "
        f"{s.sample_reference:,} reference and {s.sample_current:,} current rows sampled "
        f"with seed {s.seed}: {top}"
    )


def _drift_rows(r: MonitorResult) -> list[DriftRow]:
    return [
        DriftRow(
            d.column,
            "n/a" if d.psi is None else f"{d.psi:.3f}",
            _level(d.psi),
            f"{_pct(d.missing_reference, 1)} → {_pct(d.missing_current, 1)}",
            _pct(d.unseen_share, 1) if d.unseen_share is not None else "",
            d.top_bin(),
            d.bins_from,
            d.construction or "",
        )
        for d in ([r.score_drift] if r.score_drift else []) + r.drift
    ]


def monitor_context(r: MonitorResult, command: str) -> MonitorContext:
    e = r.estimates
    a = r.attributions[0] if r.attributions else None
    title = ""
    if a is not None:
        name = a.metric.replace("_", " ")
        title = f"{name} {a.reference:.4g} → {a.current:.4g} by {a.by}"
    return MonitorContext(
        title=f"Monitor: {r.strategy}" if r.strategy else "Monitor",
        reference_name=r.reference_name,
        current_name=r.current_name,
        reference_rows=f"{r.reference_rows:,}" if r.reference_rows is not None else "",
        current_rows=f"{r.current_rows:,}",
        cards=_cards(r),
        thresholds=[(t.id, t.passed, t.message) for t in r.thresholds],
        drift=_drift_rows(r),
        estimates=[
            (x.metric.replace("_", " "), _pct(x.value), f"{_pct(x.low)} – {_pct(x.high)}")
            for x in (e.estimates if e else [])
        ],
        checks=[
            (c.metric.replace("_", " "), _pct(c.realised), _pct(c.expected.value), c.agrees)
            for c in (e.checks if e else [])
        ],
        attribution=_attribution_rows(a) if a else [],
        attribution_title=title,
        score_shift=_shift_text(r),
        warnings=r.warnings,
        charts=_charts(r),
        command=command,
        checksums=r.inputs,
        limits_note=" ".join(t for t in (default_limits_text(r), construction_text(r)) if t),
        vega_bundle=vega_bundle(),
    )


def render_monitor_html(ctx: MonitorContext, user_templates: Path | None = None) -> str:
    return render_page(MONITOR_TEMPLATE, user_templates, ctx, ctx.charts)


def write_monitor_report(
    r: MonitorResult,
    out: Path,
    user_templates: Path | None = None,
    command: str = "riskctl monitor",
) -> Path:
    return write_text(render_monitor_html(monitor_context(r, command), user_templates), out)
