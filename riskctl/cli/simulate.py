"""`riskctl simulate`: a strategy (and a baseline) applied to labelled history."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from riskctl import executor
from riskctl.cli.console import err, out, print_json, warn_rows
from riskctl.cli.options import (
    AmountOpt,
    BaselineOpt,
    ControlOpt,
    DataOpt,
    DecisionOpt,
    HistoryOpt,
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
from riskctl.cli.tables import (
    estimates_table,
    metrics_table,
    rule_stats_table,
    segment_table,
    swap_table,
)
from riskctl.data.output import check_output_dir, check_output_file
from riskctl.distributed.limits import outcome_flags
from riskctl.errors import UsageError
from riskctl.escape import for_terminal
from riskctl.executor import refuse_on_cluster
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.guardrails import check_labels_choice
from riskctl.numbers import fmt_percent
from riskctl.outcomes.history import history_from_flags
from riskctl.output.json import run_to_dict


def simulate(
    strategy: Annotated[
        Path, typer.Argument(help="Strategy YAML (the candidate).", show_default=False)
    ],
    data: DataOpt,
    baseline: BaselineOpt = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    labels: LabelsOpt = "auto",
    decision: DecisionOpt = None,
    no_outcome: NoOutcomeOpt = None,
    control: ControlOpt = None,
    propensity: PropensityOpt = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Also break metrics down by "
            "this column (repeatable; `segment` is the "
            "strategy's segments).",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory for per-row decisions (Parquet) and metrics (JSON). With "
            "--scheduler, its decisions/ and baseline_decisions/ are replaced whole: each must "
            "be new, empty or an earlier riskctl decisions output (marked .riskctl-output).",
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the HTML report here.")
    ] = None,
    history: HistoryOpt = None,
    rows: RowsOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a strategy to labelled history and say exactly what it does.

    Catch rate, false-positive rate, precision and alert rate with 95% Wilson intervals,
    their amount-weighted twins, catch rate per action, review load per day against capacity
    and expected cost, on rows whose label has matured; a rule table (hits, precision,
    incremental catches, overlap, shadow rules included); with --by, the same per segment;
    with --baseline, the change with paired 95% intervals and the swap set. Warns about
    rules that never fire or change nothing, and segments no row falls in.

    Rows with no usable label (unlabelled, immature, blocked by production) count in alert
    rate and review load, not in label metrics; with some unseen, label metrics come three
    ways: naive, bounds, and the control-group estimate (`history:` or --decision/--control).

    Rows a detector the strategy names trained or stopped early on (by its recorded split)
    are left out by default and a warning says how many; --rows test|not-train|all chooses.

    With --scheduler, --data may be a directory or glob of Parquet parts: each part is
    decided on the Dask cluster and the numbers are the same as on one machine; --out then
    holds decisions/ and baseline_decisions/ as partitioned Parquet. Raw events for a
    detector with a features spec are derived on the cluster first (--history as context).
    --report and the three-way label estimates (--labels, --decision, --control, ...,
    unlabelled matured rows) run on one machine only.

    [bold]Example:[/bold] riskctl simulate riskctl-demo/strategies/candidate.yaml --baseline
    riskctl-demo/strategies/baseline.yaml --data riskctl-demo/scored.parquet
    """
    check_labels_choice(labels)
    if history is not None and not history.exists():
        raise UsageError(f"--history {history}: no such file", hint="check the path")
    if out_dir is not None:
        check_output_dir(out_dir, create=False)
    if report is not None:
        check_output_file(report, "--report")
    flags = outcome_flags(labels, decision, no_outcome, control, propensity)
    refuse_on_cluster(scheduler, timeout, {"--report": report, "--rows": rows, **flags})
    production = history_from_flags(decision, no_outcome, control, propensity)
    inputs: dict[str, Any] = {"baseline": baseline, "label": label, "time": time, "amount": amount}
    inputs.update(history=history, production=production, rows=rows)
    inputs.update(scheduler=scheduler, timeout=timeout)
    run = executor.simulate(strategy, data, by=by, out=out_dir, **inputs)
    if report is not None:
        command = "riskctl " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "riskctl simulate"
        # the report stack (altair) loads only when a report is asked for
        from riskctl.report.build import report_for_run

        measured = executor.measured_as_baseline(run, strategy, data, **inputs)
        report_for_run(
            run,
            check_guardrails(run, labels=labels, measured=measured),
            next(iter(run.detectors.values()), None),
            report,
            command,
        )
    if as_json:
        print_json(run_to_dict(run))
        return
    warn_rows(run.evaluation_rows)
    for warning in run.candidate.warnings:
        err.print(f"[yellow]warning:[/] {for_terminal(str(warning))}", soft_wrap=True)
    out.print(metrics_table(run))
    m = run.candidate.metrics
    by_action = ", ".join(
        f"{for_terminal(a)} {fmt_percent(p.value, 1)}" for a, p in m.catch_rate_by_action.items()
    )
    out.print(f"Catch rate by action: {by_action}")
    if m.estimates:
        out.print(estimates_table(run))
    if m.review_per_day is not None and m.review_capacity_per_day is not None:
        over = int(run.candidate.daily["over_capacity"].sum())
        out.print(
            f"Reviews per day: mean {m.review_per_day:,.1f}, peak "
            f"{m.review_per_day_peak or 0:,.0f}, capacity {m.review_capacity_per_day:,g}"
            f" ({over} of {m.days} days over capacity)"
        )
    if run.candidate.rules:
        out.print(rule_stats_table(run.candidate))
    for column, groups in run.candidate.by.items():
        out.print(segment_table(column, groups))
    if run.comparison is not None:
        out.print(swap_table(run))
    if out_dir is not None:
        out.print(f"Wrote decisions and metrics to [bold]{for_terminal(out_dir)}[/]")
