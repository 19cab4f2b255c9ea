"""A monitor run as a short Markdown message for a chat channel or a CI summary, with the
one Markdown escaper and number formatter (every name and value from a strategy or data a
code span); its sentences as plain text for the terminal."""

from __future__ import annotations

from riskctl.escape import for_markdown, for_markdown_code
from riskctl.monitor.run import MonitorResult
from riskctl.numbers import fmt_percent, fmt_points
from riskctl.output.markdown import Code, table

TOP = 8


def _pct(value: float | None, digits: int = 2) -> str:
    return fmt_percent(value, digits)


def _signed_pct(value: float) -> str:
    return fmt_points(value)


def monitor_markdown(r: MonitorResult) -> str:
    failed = r.failed
    kind = "default limits" if r.default_limits else "limits"
    if not r.thresholds:
        head = "no `monitoring:` limits set"
    elif failed:
        head = f"**{len(failed)} of {len(r.thresholds)} {kind} crossed**"
    else:
        head = f"all {len(r.thresholds)} {kind} hold"
    title = f"riskctl monitor{f': {for_markdown_code(r.strategy)}' if r.strategy else ''}"
    current, reference = for_markdown_code(r.current_name), for_markdown_code(r.reference_name)
    lines = [f"## {title}", "", f"{current} against {reference}: {head}."]
    lines += [""] + [f"- :rotating_light: {for_markdown_code(t.message)}" for t in failed]
    defaults = default_limits_text(r)
    lines += [f"- {for_markdown(defaults)}"] if defaults else []
    ref, cur = r.alert_rate
    if cur is not None:
        change = f" ({_signed_pct(cur - ref)})" if ref is not None else ""
        lines.append(f"- alert rate {_pct(ref)} -> {_pct(cur)}{change}")
    if r.score_drift is not None and r.score_drift.psi is not None:
        lines.append(f"- score PSI {r.score_drift.psi:.3f}")
    lines += _drift_lines(r) + construction_lines(r) + _estimate_lines(r)
    lines += _attribution_lines(r)
    lines += [""] + [f"> {for_markdown_code(w)}" for w in r.warnings] if r.warnings else []
    return "\n".join(lines).rstrip() + "\n"


def _drift_lines(r: MonitorResult) -> list[str]:
    if not r.drift:
        return []
    rows: list[list[object]] = []
    for d in r.drift[:TOP]:
        psi = "n/a" if d.psi is None else f"{d.psi:.3f}"
        psi += " (by construction)" if d.construction else ""
        missing = f"{_pct(d.missing_reference, 1)} -> {_pct(d.missing_current, 1)}"
        unseen = _pct(d.unseen_share, 1) if d.unseen_share is not None else ""
        rows.append([Code(d.column), psi, missing, unseen, Code(d.top_bin())])
    return ["", *table(["feature", "PSI", "missing", "unseen", "moved most"], rows)]


def construction_text(r: MonitorResult) -> str | None:
    """The features left out of drift verdicts because they drift by construction."""
    names = [d.column for d in r.drift if d.construction]
    if not names:
        return None
    return (
        f"{len(names)} feature(s) drift by construction (their values grow with the "
        f"history's length) and are left out of the drift verdicts: {', '.join(names)}"
    )


def construction_lines(r: MonitorResult) -> list[str]:
    text = construction_text(r)
    return ["", f"_{for_markdown(text)}_"] if text else []


def default_limits_text(r: MonitorResult) -> str | None:
    if not (r.default_limits and r.thresholds):
        return None
    return (
        "no `monitoring:` section: default limits checked (PSI 0.25 per feature and for the "
        "score, missing share +10 points, unseen categories 10%)"
    )


def _estimate_lines(r: MonitorResult) -> list[str]:
    e = r.estimates
    if e is None:
        return []
    lines = ["", f"Label-free estimates on {e.rows:,} rows ({e.unlabelled:,} without a label yet):"]
    for text, agrees in estimate_texts(r):
        lines.append(f"- {for_markdown(text)}{'' if agrees else ' :warning: disagrees'}")
    return lines


def estimate_texts(r: MonitorResult) -> list[tuple[str, bool]]:
    """Each label-free estimate and each check of one against realised labels, as plain
    text, with whether it agrees (the terminal and the Markdown message show the same)."""
    e = r.estimates
    if e is None:
        return []
    texts = []
    for est in e.estimates:
        if est.value is None or est.metric == "alert_rate":
            continue
        texts.append(
            (
                f"expected {est.metric.replace('_', ' ')} {_pct(est.value)} "
                f"(95%: {_pct(est.low)} to {_pct(est.high)})",
                True,
            )
        )
    for c in e.checks:
        if c.realised is None or c.expected.value is None:
            continue
        texts.append(
            (
                f"realised {c.metric.replace('_', ' ')} {_pct(c.realised)} vs expected "
                f"{_pct(c.expected.value)} on {c.rows:,} labelled rows",
                c.agrees,
            )
        )
    return texts


def shift_text(r: MonitorResult) -> str | None:
    """What moved the mean score margin, by feature, as plain text."""
    s = r.score_shift
    if s is None:
        return None
    top = ", ".join(f"{f.feature} {f.shift:+.3f}" for f in s.features[:5])
    return (
        f"Mean score margin moved {s.margin_change:+.3f} log-odds (SHAP on "
        f"{s.sample_reference:,} + {s.sample_current:,} sampled rows): {top}"
    )


def _attribution_lines(r: MonitorResult) -> list[str]:
    lines = []
    for a in r.attributions[:3]:
        rows: list[list[object]] = [
            [Code(t.segment), f"{t.mix:+.4f}", f"{t.rate:+.4f}", f"{t.total:+.4f}"]
            for t in a.terms[:5]
        ]
        change = f"{a.metric.replace('_', ' ')} {a.reference:.4g} -> {a.current:.4g} by "
        lines += [
            "",
            f"{for_markdown(change)}{for_markdown_code(a.by)}:",
            *table(["segment", "mix", "rate", "total"], rows),
        ]
    shift = shift_text(r)
    if shift is not None:
        lines += ["", for_markdown_code(shift)]
    return lines
