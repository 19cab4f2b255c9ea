"""The report's Markdown summary for pull-request comments: headline metrics, the swap set
and the rule table (sections 1, 5 and 6 of the HTML report), from the same context."""

from __future__ import annotations

from riskctl.report.context import ReportContext


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(ctx: ReportContext) -> str:
    base = ctx.baseline_name is not None
    lines = [f"## {_cell(ctx.title)}", ""]
    lines += [
        "| metric |"
        + (" baseline |" if base else "")
        + " candidate |"
        + (" change |" if base else ""),
        "| --- |" + (" --- |" if base else "") + " --- |" + (" --- |" if base else ""),
    ]
    for m in ctx.metrics:
        cells = (
            [m.label]
            + ([m.baseline or ""] if base else [])
            + [m.candidate]
            + ([m.delta or ""] if base else [])
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if ctx.swap:
        lines += [
            "",
            "| swap set | bad rows | good rows | bad amount | good amount |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {s.kind} | {s.bad_rows:,} | {s.good_rows:,} | {s.bad_amount} | {s.good_amount} |"
            for s in ctx.swap
        ]
    if ctx.rules:
        lines += [
            "",
            "| rule | action | hits | bad hits | precision | incremental bad |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(r.name)}{' (shadow)' if r.shadow else ''} | {r.action} | "
            f"{r.hits:,} | {r.bad_hits:,} | {r.precision} | {r.incremental_bad:,} |"
            for r in ctx.rules
        ]
    if ctx.caveats:
        lines += [""] + [f"> {_cell(c)}" for c in ctx.caveats]
    return "\n".join(lines) + "\n"
