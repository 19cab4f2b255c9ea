"""`riskctl monitor`: what moved between a reference and recent rows, and why."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl.cli.console import err, out, print_json
from riskctl.cli.options import TEMPLATES_HELP, JsonOpt, LabelOpt, RowsOpt, SeedOpt, TimeOpt
from riskctl.data.io import write_text
from riskctl.data.output import append_text, check_output_file
from riskctl.errors import EXIT_CHECK_FAILED, UsageError
from riskctl.escape import for_terminal
from riskctl.monitor.attribution import Attribution
from riskctl.monitor.run import MonitorOptions, MonitorResult, run_monitor
from riskctl.output.monitor import (
    construction_text,
    default_limits_text,
    estimate_texts,
    monitor_markdown,
    shift_text,
)

TOP = 15


def command_line() -> str:
    """The command as it was typed, to reproduce the run."""
    return "riskctl " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "riskctl monitor"


def monitor(
    current: Annotated[
        Path,
        typer.Option(
            "--current", "-c", help="Recent rows: Parquet, CSV or NDJSON.", show_default=False
        ),
    ],
    reference: Annotated[
        Path | None,
        typer.Option("--reference", "-r", help="Rows to compare with (e.g. the training period)."),
    ] = None,
    detector: Annotated[
        Path | None,
        typer.Option("--detector", help="Detector: scores rows, gives training bins and SHAP."),
    ] = None,
    strategy: Annotated[
        Path | None,
        typer.Option(
            "--strategy", "-s", help="Strategy: alert rates, estimates, `monitoring:` limits."
        ),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Attribute changes to this column's segments (repeatable)."),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Period of the time series (12h, 1d, 7d); without "
            "--reference, splits the current table into reference and current periods.",
        ),
    ] = None,
    reference_periods: Annotated[
        int | None,
        typer.Option(
            "--reference-periods",
            help="With --every and no --reference: how many "
            "first periods are the reference (default: half).",
        ),
    ] = None,
    score: Annotated[
        str | None,
        typer.Option("--score", help="Score column (default: the strategy's, else `score`)."),
    ] = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    sample: Annotated[
        int, typer.Option("--sample", help="Rows per period to explain with SHAP (0: none).")
    ] = 2000,
    seed: SeedOpt = 0,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown message (for chat or CI).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML monitor report.")
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Templates overriding the shipped ones. " + TEMPLATES_HELP
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text (tables) or md (print the Markdown message).")
    ] = "text",
    rows: RowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Drift (PSI), time series, label-free estimates and attribution of changes.

    Compares recent rows with a reference: PSI per feature and score, missing and unseen
    values, alert rate and expected precision/catch rate from calibrated scores (checked
    against labels once they mature), and what moved a metric (segment mix vs rate, and
    features through the mean SHAP shift). Exit 1 when a `monitoring:` limit in the strategy
    is crossed, so a nightly job can page someone; without that section, default limits
    (PSI 0.25 per feature and for the score, missing share +10 points, 10% unseen
    categories) are checked, and `monitoring: {}` checks none. Derived features that grow
    with the history's length ("time since first seen", counts over all history, rings) are
    marked "by construction" and left out of the drift verdicts. Raw events get the
    detector's derived features first, as `score` and `simulate` do. Series bands come from
    how much the reference's own periods vary. A score column in either table is checked
    as `simulate` checks it: a missing, NaN or infinite score is refused with its row, never
    counted as flagged or allowed. Current rows the detector trained or stopped early on
    (by its recorded split) are left out with a warning (--rows).

    [bold]Example:[/bold] riskctl monitor --reference riskctl-demo/history.parquet --current
    riskctl-demo/scored.parquet --detector riskctl-demo/detector --strategy
    riskctl-demo/strategies/candidate.yaml --by category --markdown monitor.md --report
    monitor.html   # exit 1 when a limit is crossed

    [bold]Example (one table, daily):[/bold] riskctl monitor --current
    riskctl-demo/scored.parquet --every 1d --strategy riskctl-demo/strategies/candidate.yaml
    # exit 1 when a limit is crossed
    """
    if fmt not in ("text", "md"):
        raise UsageError(f"--format must be text or md, not {fmt!r}")
    for path, flag in ((markdown, "--markdown"), (report, "--report")):
        if path is not None:
            check_output_file(path, flag)
    options = MonitorOptions(
        current,
        reference,
        detector,
        strategy,
        tuple(by or ()),
        every,
        reference_periods,
        score,
        label,
        time,
        sample,
        seed,
        rows,
    )
    with err.status("Comparing"):
        result = run_monitor(options)
    message = monitor_markdown(result)
    if markdown is not None:
        write_text(message, markdown)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        append_text(message, os.environ["GITHUB_STEP_SUMMARY"], "$GITHUB_STEP_SUMMARY")
    if report is not None:
        from riskctl.report.monitor import write_monitor_report

        with err.status("Rendering the monitor report"):
            write_monitor_report(result, report, templates, command_line())
    if as_json:
        print_json(result.to_dict())
    elif fmt == "md":
        out.print(message, markup=False, soft_wrap=True)
    else:
        _render(result)
    if result.failed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _drift_table(r: MonitorResult) -> Table:
    table = Table(title="Drift (largest PSI first)", title_justify="left", box=None, pad_edge=False)
    for name in ("feature", "PSI", "missing", "unseen", "moved most"):
        table.add_column(name, justify="left" if name in ("feature", "moved most") else "right")
    for d in ([r.score_drift] if r.score_drift else []) + r.drift[:TOP]:
        psi = "n/a" if d.psi is None else f"{d.psi:.3f}"
        level = d.psi or 0.0
        style = "red" if level >= 0.25 else "yellow" if level >= 0.1 else ""
        missing = f"{d.missing_reference:.1%} -> {d.missing_current:.1%}"
        unseen = f"{d.unseen_share:.1%}" if d.unseen_share is not None else ""
        column = for_terminal(d.column)
        name = f"{column} [dim](score)[/]" if d is r.score_drift else column
        psi = f"[{style}]{psi}[/]" if style and not d.construction else psi
        psi += " [dim](by construction)[/]" if d.construction else ""
        table.add_row(name, psi, missing, unseen, for_terminal(d.top_bin()))
    return table


def _attribution_table(a: Attribution) -> Table:
    title = for_terminal(
        f"{a.metric} {a.reference:.4g} -> {a.current:.4g} ({a.change:+.4g}) by {a.by}"
    )
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for name in ("segment", "share", "rate", "mix", "rate term", "total"):
        table.add_column(name, justify="left" if name == "segment" else "right")
    for t in a.terms[:8]:
        rates = "/".join(
            "n/a" if v is None else f"{v:.4g}" for v in (t.rate_reference, t.rate_current)
        )
        share = f"{t.share_reference:.1%} -> {t.share_current:.1%}"
        cells = (share, rates, f"{t.mix:+.4f}", f"{t.rate:+.4f}", f"{t.total:+.4f}")
        table.add_row(for_terminal(t.segment), *cells)
    return table


def _render(r: MonitorResult) -> None:
    against = f" ({r.reference_rows:,} rows)" if r.reference_rows is not None else ""
    current, reference = for_terminal(r.current_name), for_terminal(r.reference_name)
    out.print(f"[bold]{current}[/] ({r.current_rows:,} rows) against {reference}{against}")
    out.print(_drift_table(r))
    construction = construction_text(r)
    if construction is not None:
        out.print(f"[dim]{for_terminal(construction)}[/]", soft_wrap=True)
    ref, cur = r.alert_rate
    if cur is not None:
        out.print(
            f"Alert rate {ref:.2%} -> {cur:.2%}" if ref is not None else f"Alert rate {cur:.2%}"
        )
    for text, agrees in estimate_texts(r):
        out.print(f"- {for_terminal(text)}{'' if agrees else ' [yellow]disagrees[/]'}")
    shift = shift_text(r)
    if shift is not None:
        out.print(for_terminal(shift))
    for a in r.attributions:
        out.print(_attribution_table(a))
    for tr in r.failed:
        out.print(f"[red]CROSSED[/] {for_terminal(tr.id)}: {for_terminal(tr.message)}")
    for w in r.warnings:
        err.print(f"[yellow]warning:[/] {for_terminal(w)}", soft_wrap=True)
    defaults = default_limits_text(r)
    if defaults is not None:
        out.print(for_terminal(defaults), soft_wrap=True, markup=False)
    if r.thresholds:
        kind = "default limits" if r.default_limits else "limits"
        crossed = f"{len(r.failed)} of {len(r.thresholds)} {kind} crossed"
        ok = f"{len(r.thresholds)} {kind} hold"
        out.print(f"[red]FAILED[/]: {crossed}" if r.failed else f"[green]PASSED[/]: {ok}")
