"""A monitor run as a short Markdown message for a chat channel or a CI summary."""

from __future__ import annotations

from riskctl.monitor.run import MonitorResult

TOP = 8


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def _signed_pct(value: float) -> str:
    return f"{100 * value:+.2f} pts"


def monitor_markdown(r: MonitorResult) -> str:
    failed = r.failed
    if not r.thresholds:
        head = "no `monitoring:` limits set"
    elif failed:
        head = f"**{len(failed)} of {len(r.thresholds)} limits crossed**"
    else:
        head = f"all {len(r.thresholds)} limits hold"
    title = f"riskctl monitor{f': {_cell(r.strategy)}' if r.strategy else ''}"
    lines = [
        f"## {title}",
        "",
        f"{_cell(r.current_name)} against {_cell(r.reference_name)}: {head}.",
    ]
    lines += [""] + [f"- :rotating_light: {_cell(t.message)}" for t in failed]
    ref, cur = r.alert_rate
    if cur is not None:
        change = f" ({_signed_pct(cur - ref)})" if ref is not None else ""
        lines.append(f"- alert rate {_pct(ref)} -> {_pct(cur)}{change}")
    if r.score_drift is not None and r.score_drift.psi is not None:
        lines.append(f"- score PSI {r.score_drift.psi:.3f}")
    lines += _drift_lines(r) + _estimate_lines(r) + _attribution_lines(r)
    lines += [""] + [f"> {_cell(w)}" for w in r.warnings] if r.warnings else []
    return "\n".join(lines).rstrip() + "\n"


def _drift_lines(r: MonitorResult) -> list[str]:
    if not r.drift:
        return []
    lines = [
        "",
        "| feature | PSI | missing | unseen | moved most |",
        "| --- | --- | --- | --- | --- |",
    ]
    for d in r.drift[:TOP]:
        psi = "n/a" if d.psi is None else f"{d.psi:.3f}"
        missing = f"{_pct(d.missing_reference, 1)} -> {_pct(d.missing_current, 1)}"
        unseen = _pct(d.unseen_share, 1) if d.unseen_share is not None else ""
        lines.append(f"| {_cell(d.column)} | {psi} | {missing} | {unseen} | {_cell(d.top_bin())} |")
    return lines


def _estimate_lines(r: MonitorResult) -> list[str]:
    e = r.estimates
    if e is None:
        return []
    lines = ["", f"Label-free estimates on {e.rows:,} rows ({e.unlabelled:,} without a label yet):"]
    for est in e.estimates:
        if est.value is None or est.metric == "alert_rate":
            continue
        lines.append(
            f"- expected {est.metric.replace('_', ' ')} {_pct(est.value)} "
            f"(95%: {_pct(est.low)} to {_pct(est.high)})"
        )
    for c in e.checks:
        if c.realised is None or c.expected.value is None:
            continue
        mark = "" if c.agrees else " :warning: disagrees"
        lines.append(
            f"- realised {c.metric.replace('_', ' ')} {_pct(c.realised)} vs expected "
            f"{_pct(c.expected.value)} on {c.rows:,} labelled rows{mark}"
        )
    return lines


def _attribution_lines(r: MonitorResult) -> list[str]:
    lines = []
    for a in r.attributions[:3]:
        lines += [
            "",
            f"{a.metric.replace('_', ' ')} {a.reference:.4g} -> {a.current:.4g} by {_cell(a.by)}:",
            "| segment | mix | rate | total |",
            "| --- | --- | --- | --- |",
        ]
        for t in a.terms[:5]:
            lines.append(f"| {_cell(t.segment)} | {t.mix:+.4f} | {t.rate:+.4f} | {t.total:+.4f} |")
    if r.score_shift is not None:
        s = r.score_shift
        top = ", ".join(f"{f.feature} {f.shift:+.3f}" for f in s.features[:5])
        lines += [
            "",
            f"Mean score margin moved {s.margin_change:+.3f} log-odds (SHAP on "
            f"{s.sample_reference:,} + {s.sample_current:,} sampled rows): {top}",
        ]
    return lines
