"""`riskctl check`: the CI gate on a strategy change."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from riskctl import executor
from riskctl.cli.console import out, print_json, warn_rows
from riskctl.cli.options import (
    AmountOpt,
    BaselineOpt,
    ControlOpt,
    DataOpt,
    DecisionOpt,
    JsonOpt,
    LabelOpt,
    LabelsOpt,
    NoOutcomeOpt,
    PropensityOpt,
    RowsOpt,
    SchedulerOpt,
    TimeOpt,
    TimeoutOpt,
)
from riskctl.cli.tables import guardrail_table, metrics_table
from riskctl.data.io import write_text
from riskctl.data.output import append_text, check_output_file
from riskctl.distributed.limits import outcome_flags
from riskctl.errors import EXIT_CHECK_FAILED
from riskctl.escape import for_terminal
from riskctl.executor import refuse_on_cluster
from riskctl.gate.baseline_limits import (
    check_guardrails,
    measurement_notes,
    sources_line,
)
from riskctl.gate.guardrails import no_guardrails_error
from riskctl.outcomes.history import history_from_flags
from riskctl.output.json import run_to_dict
from riskctl.output.junit import junit_xml
from riskctl.output.markdown import check_markdown
from riskctl.simulation.pins import check_pin


def check(
    candidate: Annotated[
        Path, typer.Argument(help="The proposed strategy YAML.", show_default=False)
    ],
    data: DataOpt,
    baseline: BaselineOpt = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    decision: DecisionOpt = None,
    no_outcome: NoOutcomeOpt = None,
    control: ControlOpt = None,
    propensity: PropensityOpt = None,
    labels: LabelsOpt = "auto",
    rows: RowsOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Compare point estimates, not 95% intervals.")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML, one test case per guardrail.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Write a Markdown verdict (also appended to $GITHUB_STEP_SUMMARY when set).",
        ),
    ] = None,
    data_sha256: Annotated[
        str | None,
        typer.Option(
            "--data-sha256",
            help="Fail (exit 2) unless the data file has this sha256 (64 hex digits; an "
            "empty or malformed value is an error, never no pin).",
        ),
    ] = None,
    own_guardrails: Annotated[
        bool,
        typer.Option(
            "--own-guardrails",
            help="Judge the candidate's own guardrails only, not the baseline's too (to "
            "loosen a guardrail on purpose).",
        ),
    ] = False,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a candidate strategy's guardrails on labelled history (the CI gate).

    Exit 0 when all hold, 1 when one fails (naming it and by how much), 2 on bad input.

    A guardrail on a proportion fails only when its whole 95% interval is on the wrong side
    (noise on small data does not block a pull request); --strict compares point estimates.
    Rows with no label count in alert rate and review load only. When production blocked
    rows (`history:` or --decision/--control), label guardrails judge the control-group
    estimate; --labels naive|bounds chooses (bounds: the pessimistic end).
    Outputs: a terminal table, --json, --markdown (and $GITHUB_STEP_SUMMARY), --junit.
    When a detector the strategy names recorded its split, its training and early-stopping
    rows are left out (--rows), with a note in every output.

    With --baseline, the baseline's guardrails apply too: every guardrail either file sets
    is checked, the stricter limit where both set one, so a candidate cannot pass by
    deleting or loosening its own (--own-guardrails: the candidate's alone). Each guardrail
    says whose limit it is. With no guardrail to check, exit 2: a gate that checks nothing
    would pass anything. An empty or malformed --data-sha256 is exit 2, never no pin; the
    data_sha256 pins of both files hold too (exit 2 names the file whose pin failed).

    The baseline's guardrails are judged on the candidate's decisions measured with the
    baseline's measurement settings (label, bad, time, amount, costs, reviews,
    review_capacity_per_day, label_maturity_days, history): a candidate cannot pass them
    by changing what they measure. A candidate that changes one gets a note in every
    output; its own guardrails use its own settings. Under the baseline's settings an
    action the baseline does not know counts as a review (a renamed review action stays
    one), except the candidate's pass action.

    With --scheduler, --data may be a directory or glob of Parquet parts, checked on the
    Dask cluster with the same numbers as on one machine (--data-sha256 then pins the
    dataset: the sha256 of its parts' relative paths and digests).

    [bold]Example:[/bold] riskctl check riskctl-demo/strategies/candidate.yaml --baseline
    riskctl-demo/strategies/baseline.yaml --data riskctl-demo/scored.parquet   # exit 1 when
    a guardrail fails

    [bold]Example that fails:[/bold] riskctl check riskctl-demo/strategies/loose.yaml --data
    riskctl-demo/scored.parquet   # exit 1: names the guardrails it breaks
    """
    check_pin(data_sha256, "--data-sha256")
    for path, flag in ((junit, "--junit"), (markdown, "--markdown")):
        if path is not None:
            check_output_file(path, flag)
    refuse_on_cluster(
        scheduler,
        timeout,
        {"--rows": rows, **outcome_flags(labels, decision, no_outcome, control, propensity)},
    )
    inputs: dict[str, Any] = {"baseline": baseline, "label": label, "time": time, "amount": amount}
    inputs.update(
        data_sha256=data_sha256,
        production=history_from_flags(decision, no_outcome, control, propensity),
        scheduler=scheduler,
        timeout=timeout,
        rows=rows,
    )
    run = executor.simulate(candidate, data, **inputs)
    # the baseline's guardrails measure the candidate's decisions the baseline's way
    measured = executor.measured_as_baseline(
        run, candidate, data, own_only=own_guardrails, **inputs
    )
    notes = measurement_notes(run, own_guardrails)
    if run.evaluation_rows is not None and run.evaluation_rows.warning:
        notes = [run.evaluation_rows.warning, *notes]  # said in every output
    results = check_guardrails(
        run, strict=strict, labels=labels, own_only=own_guardrails, measured=measured
    )
    if not results:
        raise no_guardrails_error(run, own_guardrails)
    summary = check_markdown(run, results, notes)
    if markdown is not None:
        write_text(summary, markdown)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        append_text(summary, os.environ["GITHUB_STEP_SUMMARY"], "$GITHUB_STEP_SUMMARY")
    if junit is not None:
        write_text(junit_xml(run, results, notes), junit)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json(
            {
                "passed": not failed,
                "guardrails": [r.to_dict() for r in results],
                "notes": notes,
                **run_to_dict(run),
            }
        )
    else:
        warn_rows(run.evaluation_rows)  # loud on stderr; a note in the other outputs
        out.print(metrics_table(run))
        out.print(guardrail_table(results))
        for note in notes[1:] if run.evaluation_rows and run.evaluation_rows.warning else notes:
            out.print(f"[yellow]note[/]: {for_terminal(note)}")
        verdict = (
            f"[red]FAILED[/]: {len(failed)} of {len(results)} guardrails fail"
            if failed
            else f"[green]PASSED[/]: {len(results)} guardrails hold"
        )
        out.print(f"{verdict} ({sources_line(results)})")
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)
