"""`riskctl report`: the self-contained HTML report."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from riskctl import executor
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
    RowsOpt,
    TimeOpt,
)
from riskctl.data.output import check_output_file
from riskctl.escape import for_terminal
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.model.detector import load_detector
from riskctl.outcomes.history import history_from_flags
from riskctl.report.curve_points import check_fpr_axis


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
    fpr_axis: Annotated[
        str,
        typer.Option(
            "--fpr-axis",
            metavar="log/linear",
            help="False-positive rate axis of the trade-off curves: log (the default; "
            "strategies operate at small rates, which a linear axis squeezes into its left "
            "edge) or linear.",
        ),
    ] = "log",
    log_fpr: Annotated[
        bool, typer.Option("--log-fpr", hidden=True, help="The same as --fpr-axis log.")
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
    rows: RowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a self-contained HTML report of a strategy change.

    Opens with no network: headline cards, trade-off curves with both operating points,
    score distributions, segments, swap set, rules, reasons, caveats, reproducibility.
    It says which rows it measured: by default not the rows a detector the strategy names
    trained or stopped early on (--rows).

    [bold]Example:[/bold] riskctl report riskctl-demo/strategies/candidate.yaml --baseline
    riskctl-demo/strategies/baseline.yaml --data riskctl-demo/scored.parquet --detector
    riskctl-demo/detector --out report.html
    """
    check_output_file(out_path)
    check_fpr_axis(fpr_axis)
    given = load_detector(detector) if detector else None
    options: dict[str, Any] = {
        "baseline": baseline,
        "label": label,
        "time": time,
        "amount": amount,
        "production": history_from_flags(decision, no_outcome, control, propensity),
        "context": context,
        "rows": rows,
    }
    carry = [*given.feature_names, *given.ids] if given else None
    run = executor.simulate(strategy, data, by=by, carry=carry, **options)
    # the baseline's guardrails measure the candidate's decisions the baseline's way
    measured = executor.measured_as_baseline(run, strategy, data, **options)
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
            fpr_axis="log" if log_fpr else fpr_axis,
            show_ids=show_ids,
        )
    if as_json:
        print_json({"report": str(path), "bytes": path.stat().st_size})
        return
    out.print(f"Wrote report to [bold]{for_terminal(path)}[/]")
