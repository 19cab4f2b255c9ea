"""Markdown for pull-request comments and chat: one table writer, and the summaries of
`riskctl check` and `riskctl report --format md` built from the same tables. Every name and
value from a strategy or data is a code span (`riskctl.escape.for_markdown_code`), so GitHub
shows it literally (no emoji, link or mention); riskctl's own words and numbers are plain
text, escaped by `riskctl.escape.for_markdown`."""

from __future__ import annotations

from riskctl.escape import for_markdown, for_markdown_cell, for_markdown_code
from riskctl.gate.baseline_limits import sources_line
from riskctl.gate.diff import Change, show
from riskctl.gate.guardrails import GuardrailResult
from riskctl.output.tables import estimate_rows, metric_rows, rule_rows, swap_rows
from riskctl.simulation.simulate import SimulationRun
from riskctl.simulation.strategy_metrics import no_label_text
from riskctl.strategy.load import LoadedStrategy


def table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """A Markdown table; every header and cell escaped, so each row keeps its columns.
    A name or value from a strategy or data is given as `Code` (a code span); a cell that is
    riskctl's own Markdown (a bold verdict) as `Raw`; riskctl's words and numbers as they
    are (plain text)."""
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + " --- |" * len(headers),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


class Raw(str):
    """Markdown riskctl writes itself (never a name or a value): not escaped."""


class Code(str):
    """A name or a value from a strategy or data: a code span in its cell."""


def _cell(value: object) -> str:
    if isinstance(value, Raw):
        return value
    if isinstance(value, Code):
        return for_markdown_code(value, cell=True)
    return for_markdown_cell(value)


def metrics_lines(run: SimulationRun) -> list[str]:
    """Headline metrics: metric | baseline | candidate | change (baseline first, as read)."""
    base = run.baseline is not None
    headers = [
        "metric",
        *(["baseline"] if base else []),
        "candidate",
        *(["change"] if base else []),
    ]
    rows: list[list[object]] = []
    for r in metric_rows(run):
        cells: list[object] = [r.label, r.baseline or "", r.candidate, r.delta or ""]
        rows.append(cells if base else [r.label, r.candidate])
    return table(headers, rows)


def swap_lines(run: SimulationRun) -> list[str]:
    unknown = run.candidate.metrics.counts.no_label > 0
    rows: list[list[object]] = []
    for s in swap_rows(run.comparison):
        row: list[object] = [s.kind, s.bad_rows, s.good_rows, s.bad_amount, s.good_amount]
        rows.append(row + [s.unknown_rows] if unknown else row)
    if not rows:
        return []
    headers = ["swap set", "bad rows", "good rows", "bad amount", "good amount"]
    return ["", *table(headers + (["unknown outcome"] if unknown else []), rows)]


def unseen_lines(run: SimulationRun) -> list[str]:
    """How many rows had no usable label and why; label metrics three ways."""
    counts = run.candidate.metrics.counts
    lines = [] if not counts.no_label else ["", for_markdown(no_label_text(counts) + ".")]
    rows: list[list[object]] = [
        [r.label, r.scope, r.naive, r.bounds, r.estimate] for r in estimate_rows(run, digits=1)
    ]
    if rows:
        headers = ["metric", "of", "naive (biased)", "bounds", "estimate (control group)"]
        lines += ["", *table(headers, rows)]
    return lines


def rule_lines(run: SimulationRun) -> list[str]:
    rows: list[list[object]] = [
        [
            Raw(for_markdown_code(r.name, cell=True) + " (shadow)") if r.shadow else Code(r.name),
            Code(r.action),
            r.hits,
            r.bad_hits,
            r.precision,
            r.incremental_bad,
        ]
        for r in rule_rows(run.candidate.rules)
    ]
    if not rows:
        return []
    headers = ["rule", "action", "hits", "bad hits", "precision", "incremental bad"]
    return ["", *table(headers, rows)]


def default_title(run: SimulationRun) -> str:
    """A report's title when none is given: the candidate's name, and the baseline's."""
    base = f" vs {run.baseline.loaded.name}" if run.baseline else ""
    return f"{run.candidate.loaded.name}{base}"


def _heading(run: SimulationRun) -> str:
    cand = run.candidate.loaded.name
    base = run.baseline.loaded.name if run.baseline else None
    return for_markdown_code(cand) + (f" vs {for_markdown_code(base)}" if base else "")


def check_markdown(
    run: SimulationRun, results: list[GuardrailResult], notes: list[str] | None = None
) -> str:
    """The CI verdict: guardrails first, then any notes, the metrics and the swap set."""
    failed = [r for r in results if not r.passed]
    verdict = (
        f"**riskctl check: FAILED** - {len(failed)} of {len(results)} guardrails fail"
        if failed
        else f"**riskctl check: PASSED** - {len(results)} guardrails hold"
    )
    lines = [f"### {_heading(run)}", "", f"{verdict} (limits: {sources_line(results)})", ""]
    if results:
        rows: list[list[object]] = [
            [
                r.id,
                r.name,  # a guardrail key riskctl defines
                "holds" if r.passed else Raw("**fails**"),
                r.source,
                Code(r.message.split(": ", 1)[-1]),
            ]
            for r in results
        ]
        lines += [*table(["check", "guardrail", "verdict", "limit from", "detail"], rows), ""]
    lines += [line for n in notes or [] for line in (f"> **note**: {for_markdown(n)}", "")]
    lines += metrics_lines(run) + unseen_lines(run) + swap_lines(run)
    return "\n".join(lines) + "\n"


def report_markdown(run: SimulationRun, title: str, caveats: list[str]) -> str:
    """The report's summary: headline metrics, the swap set and the rule table."""
    heading = _heading(run) if title == default_title(run) else for_markdown_code(title)
    lines = [f"## {heading}", "", *metrics_lines(run), *unseen_lines(run)]
    lines += swap_lines(run)
    lines += rule_lines(run)
    if caveats:
        lines += [""] + [f"> {for_markdown_code(c)}" for c in caveats]
    return "\n".join(lines) + "\n"


def diff_markdown(old: LoadedStrategy, new: LoadedStrategy, changes: list[Change]) -> str:
    paths = f"{for_markdown_code(old.path)} -> {for_markdown_code(new.path)}"
    lines = [f"### Strategy diff: {paths}", ""]
    if not changes:
        return "\n".join(lines + ["No semantic change.", ""])
    rows: list[list[object]] = [
        [
            c.kind,
            Code(c.what),
            c.change,
            "" if c.before is None else Code(show(c.before)),
            "" if c.after is None else Code(show(c.after)),
        ]
        for c in changes
    ]
    return "\n".join(lines + table(["kind", "what", "change", "before", "after"], rows)) + "\n"
