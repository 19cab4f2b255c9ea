"""`riskctl report`: the self-contained HTML report."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from riskctl.cli.console import err, out, print_json
from riskctl.cli.options import (
    TEMPLATES_HELP,
    AmountOpt,
    BaselineOpt,
    ContextOpt,
    ControlOpt,
    DataOpt,
    DecisionOpt,
    JsonOpt,
    LabelOpt,
    LabelsOpt,
    NoOutcomeOpt,
    PropensityOpt,
    TimeOpt,
)
from riskctl.data.output import check_output_file
from riskctl.escape import for_terminal
from riskctl.gate.baseline_limits import check_guardrails, needs_baseline_measure
from riskctl.model.detector import load_detector
from riskctl.outcomes.history import history_from_flags
from riskctl.simulation.simulate import run_simulation


def report(
    strategy: Annotated[
        Path, typer.Argument(help="Strategy YAML (the candidate).", show_default=False)
    ],
    data: DataOpt,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    baseline: BaselineOpt = None,
    detector: Annotated[
        Path | None,
        typer.Option(
            "--detector", help="Detector directory, to explain flagged rows with SHAP reasons."
        ),
    ] = None,
    reasons: Annotated[
        Path | None,
        typer.Option(
            "--reasons",
            help="Reason catalogue for the reasons section (e.g. strategies/reason_codes.yaml).",
        ),
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            help="Directory of templates that override the shipped ones by name. " + TEMPLATES_HELP,
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="html, or md: a Markdown summary (metrics, swap set, rules) for pull requests.",
        ),
    ] = "html",
    log_fpr: Annotated[
        bool,
        typer.Option(
            "--log-fpr", help="Log-scale the false-positive rate axis of the trade-off curves."
        ),
    ] = False,
    show_ids: Annotated[
        bool,
        typer.Option(
            "--show-ids", help="Show entity ids; by default the report masks them (keyed hash)."
        ),
    ] = False,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", help="Segment section for this column (repeatable; `segment`: the strategy's)."
        ),
    ] = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    control: ControlOpt = None,
    decision: DecisionOpt = None,
    context: ContextOpt = None,
    labels: LabelsOpt = "auto",
    no_outcome: NoOutcomeOpt = None,
    propensity: PropensityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a self-contained HTML report of a strategy change.

    Opens with no network: headline cards, trade-off curves with both operating points,
    score distributions, segments, swap set, rules, reasons, caveats, reproducibility.

    [bold]Example:[/bold] riskctl report strategies/candidate.yaml --baseline
    strategies/baseline.yaml --data riskctl-demo/scored.parquet --detector
    riskctl-demo/detector --out report.html
    """
    check_output_file(out_path)
    given = load_detector(detector) if detector else None
    options: dict[str, Any] = {
        "baseline": baseline,
        "label": label,
        "time": time,
        "amount": amount,
        "production": history_from_flags(decision, no_outcome, control, propensity),
        "context": context,
    }
    carry = [*given.feature_names, *(given.manifest.get("ids") or [])] if given else None
    run = run_simulation(strategy, data, by=by, carry=carry, **options)
    # the baseline's guardrails measure the candidate's decisions the baseline's way
    measured = (
        run_simulation(strategy, data, measure_as_baseline=True, **options)
        if needs_baseline_measure(run)
        else None
    )
    det = given or next(iter(run.detectors.values()), None)
    command = "riskctl " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "riskctl report"
    with err.status("Rendering the report"):
        # the report stack (altair) loads only when a report is asked for
        from riskctl.report.build import report_for_run

        path = report_for_run(
            run,
            check_guardrails(run, labels=labels, measured=measured),
            det,
            out_path,
            command,
            templates,
            catalogue=reasons,
            fmt=fmt,
            log_fpr=log_fpr,
            show_ids=show_ids,
        )
    if as_json:
        print_json({"report": str(path), "bytes": path.stat().st_size})
        return
    out.print(f"Wrote report to [bold]{for_terminal(path)}[/]")
