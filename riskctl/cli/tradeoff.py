"""`riskctl sweep` and `riskctl tune`: trade-off curves and thresholds that meet targets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl import executor
from riskctl.cli.console import err, out, print_json, warn_rows
from riskctl.cli.options import (
    AmountOpt,
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
    between,
)
from riskctl.data.output import check_output_file
from riskctl.distributed.limits import outcome_flags
from riskctl.errors import UsageError
from riskctl.escape import for_terminal
from riskctl.executor import refuse_on_cluster
from riskctl.metrics.registry import METRICS
from riskctl.numbers import fmt_percent
from riskctl.outcomes.history import history_from_flags
from riskctl.output.tables import metric_text
from riskctl.simulation.evaluation_rows import EvaluationRows
from riskctl.simulation.simulate import run_simulation
from riskctl.simulation.strategy_metrics import StrategyMetrics
from riskctl.strategy.write import set_segment_thresholds, set_thresholds
from riskctl.tuning.sweep import Curve
from riskctl.tuning.thresholds import Target, TuneResult, segment_when
from riskctl.tuning.tune import tune_run


def sweep(
    data: DataOpt,
    score: Annotated[
        str | None,
        typer.Option("--score", help="Score column to sweep (default with --strategy: its score)."),
    ] = None,
    label: LabelOpt = None,
    amount: AmountOpt = None,
    by: Annotated[
        str | None, typer.Option("--by", help="One curve per value of this column.")
    ] = None,
    strategy: Annotated[
        Path | None,
        typer.Option(
            "--strategy", "-s", help="Apply the strategy's rules and other thresholds first."
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", help="With --strategy: whose threshold to sweep (default review)."
        ),
    ] = None,
    all_points: Annotated[
        bool, typer.Option("--all-points", help="Every distinct threshold, not the compact set.")
    ] = False,
    control: ControlOpt = None,
    decision: DecisionOpt = None,
    labels: LabelsOpt = "auto",
    no_outcome: NoOutcomeOpt = None,
    propensity: PropensityOpt = None,
    rows: RowsOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The exact trade-off curve of a score threshold.

    At every distinct score: catch rate, false-positive rate, precision, alert rate and the
    amount-weighted twins.

    One sort and cumulative sums; equal scores are one point. The compact default keeps the
    exact points at 0.1%, 0.5%, 1%, 2% and 5% FPR. With --strategy, the rules' catches are
    the curve's starting point. Rows with no label count in alert rate only; with a
    control group (`history:` or --decision/--control) the curve is weighted by it. With
    --strategy, rows its detector trained or stopped early on are left out (--rows).

    With --scheduler, --data may be a directory or glob of Parquet parts: each part is
    reduced on the Dask cluster to counts per distinct score, and the merged counts give the
    same exact curve.

    [bold]Example:[/bold] riskctl sweep --data riskctl-demo/scored.parquet --score score
    --label is_bad --amount amount
    """
    refuse_on_cluster(
        scheduler,
        timeout,
        {"--rows": rows, **outcome_flags(labels, decision, no_outcome, control, propensity)},
    )
    history = history_from_flags(decision, no_outcome, control, propensity)
    shown, chosen = executor.sweep(
        data, score, label, amount, by, strategy, action, not all_points, history, labels,
        scheduler, timeout, rows,
    )  # fmt: skip
    if as_json:
        body = [
            {
                "segment": c.segment,
                "rows": c.rows,
                "bad": c.bad,
                "no_label": c.no_label,
                "points": [_point(p) for p in c.points.to_dicts()],
            }
            for c in shown
        ]
        doc = body[0] if by is None else {"curves": body}
        print_json({**doc, "evaluation_rows": chosen.to_dict()} if chosen else doc)
        return
    warn_rows(chosen)
    for c in shown:
        out.print(_curve_table(c))


def _point(p: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in p.items()}


def _curve_table(c: Curve) -> Table:
    title = f"{for_terminal(c.segment) + ': ' if c.segment else ''}{c.rows:,} rows, {c.bad:,} bad"
    if c.no_label:
        title += f", {c.no_label:,} with no usable label (in alert rate only)"
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    cols = ["threshold", "flagged", "catch rate", "FPR", "precision", "alert rate"]
    has_amount = "amount_catch_rate" in c.points.columns
    if has_amount:
        cols.append("amount caught")
    for name in cols:
        table.add_column(name, justify="right")
    for p in c.points.to_dicts():
        t = "start" if math.isinf(p["threshold"]) else f"{p['threshold']:.4f}"
        row = [
            t,
            f"{p['flagged']:,}",
            fmt_percent(p["catch_rate"], 1),
            fmt_percent(p["false_positive_rate"], 1),
            fmt_percent(p["precision"], 1),
            fmt_percent(p["alert_rate"], 1),
        ]
        if has_amount:
            row.append(fmt_percent(p["amount_catch_rate"], 1))
        table.add_row(*row)
    return table


def tune(
    strategy: Annotated[Path, typer.Argument(help="Strategy YAML to tune.", show_default=False)],
    data: DataOpt,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the tuned strategy (comments kept).",
            show_default=False,
        ),
    ],
    max_fpr: Annotated[
        float | None,
        typer.Option(
            "--max-fpr",
            help="Most catches with FPR at most this.",
            callback=between(0.0, 1.0, closed=True),
        ),
    ] = None,
    review_capacity: Annotated[
        float | None,
        typer.Option(
            "--review-capacity",
            help="Most catches with at most this many reviews per day.",
            callback=between(0.0, None),
        ),
    ] = None,
    min_precision: Annotated[
        float | None,
        typer.Option(
            "--min-precision",
            help="Most catches with precision at least this.",
            callback=between(0.0, 1.0, closed=True),
        ),
    ] = None,
    min_catch_rate: Annotated[
        float | None,
        typer.Option(
            "--min-catch-rate",
            help="Lowest FPR that catches at least this.",
            callback=between(0.0, 1.0, closed=True),
        ),
    ] = None,
    min_cost: Annotated[
        bool, typer.Option("--min-cost", help="Lowest expected cost (the strategy's costs).")
    ] = False,
    action: Annotated[
        str | None, typer.Option("--action", help="Whose threshold to tune (default review).")
    ] = None,
    score: Annotated[
        str | None, typer.Option("--score", help="Score column (default: the action's).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="One threshold per segment (`segment`: "
            "the strategy's; or a column, written as new "
            "segments); the target holds over all rows.",
        ),
    ] = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            "--holdout",
            help="Keep this fraction (the "
            "latest rows, or random) aside and report "
            "the tuned strategy there too.",
            callback=between(0.0, 1.0),
        ),
    ] = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    decision: DecisionOpt = None,
    no_outcome: NoOutcomeOpt = None,
    control: ControlOpt = None,
    propensity: PropensityOpt = None,
    labels: LabelsOpt = "auto",
    rows: RowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the threshold that meets a target, exactly, and write the tuned strategy.

    Every distinct score is a candidate; the chosen one has the best objective of all that
    meet the target on the data (ties: the highest threshold). Everything else in the file
    stays as it was, comments included. The estimate is optimistic on the data it was tuned
    on: --holdout keeps a slice aside for an honest one, and a warning says when the
    held-out catch or false-positive rate falls outside the tuned one's 95% interval (their
    intervals do not overlap). Rows with no label count in review load and alert rate; with
    a control group the curve is weighted by it. Rows a detector the strategy names trained
    or stopped early on are left out (--rows).

    [bold]Example:[/bold] riskctl tune riskctl-demo/strategies/candidate.yaml --data
    riskctl-demo/scored.parquet --max-fpr 0.005 --out candidate.tuned.yaml
    """
    targets = [
        Target(k, v)
        for k, v in (
            ("max_fpr", max_fpr),
            ("review_capacity", review_capacity),
            ("min_precision", min_precision),
            ("min_catch_rate", min_catch_rate),
        )
        if v is not None
    ]
    if min_cost:
        targets.append(Target("min_cost"))
    if len(targets) != 1:
        raise UsageError(
            "pass exactly one target: --max-fpr, --review-capacity, "
            "--min-precision, --min-catch-rate or --min-cost"
        )
    check_output_file(out_path)
    run = run_simulation(
        strategy,
        data,
        label=label,
        time=time,
        amount=amount,
        by=[by] if by and by != "segment" else None,
        production=history_from_flags(decision, no_outcome, control, propensity),
        rows=rows,
    )
    result = tune_run(run, targets[0], action, score, holdout, by, labels)
    if result.met and result.by is not None:
        write_segments(strategy, out_path, result, dict(run.table.schema))
    elif result.met:
        set_thresholds(strategy, out_path, [(result.action, result.score, result.after)])
    if as_json:
        print_json(_result_dict(result, out_path, run.evaluation_rows))
    else:
        _render(result, out_path)
    if not result.met:
        raise typer.Exit(1)


def write_segments(strategy: Path, out_path: Path, r: TuneResult, dtypes: dict) -> None:
    if r.by == "segment":
        set_segment_thresholds(strategy, out_path, r.action, r.score, r.segments, [])
        return
    assert r.by is not None
    new = [
        (f"{r.by}_{value}", segment_when(r.by, value, dtypes[r.by], r.missing), t)
        for value, t in r.segments.items()
    ]
    set_segment_thresholds(strategy, out_path, r.action, r.score, {}, new)


def _result_dict(r: TuneResult, out_path: Path, rows: EvaluationRows | None) -> dict:
    def m(x: StrategyMetrics | None) -> dict | None:
        return x.to_dict() if x else None

    return {
        "action": r.action,
        "score": r.score,
        "target": {"kind": r.target.kind, "value": r.target.value},
        "met": r.met,
        "threshold": {"before": r.before, "after": r.after},
        "candidates": r.candidates,
        "written": str(out_path) if r.met else None,
        "by": r.by,
        "segments": {k: (None if math.isinf(v) else v) for k, v in r.segments.items()},
        "before": m(r.before_metrics),
        "after": m(r.after_metrics),
        "holdout": {"before": m(r.holdout_before), "after": m(r.holdout_after)}
        if r.holdout_after
        else None,
        "notes": r.notes,
        "warnings": r.warnings,
        "evaluation_rows": rows.to_dict() if rows is not None else None,
    }


def _render(r: TuneResult, out_path: Path) -> None:
    for warning in r.warnings:
        err.print(f"[bold yellow]warning:[/] {for_terminal(warning)}", soft_wrap=True)
    before = "none" if r.before is None else f"{r.before:.4f}"
    out.print(
        f"Target: {for_terminal(r.target.describe())}. {r.candidates:,} candidate thresholds."
    )
    if r.met and r.segments:
        for value, t in r.segments.items():
            shown = "flag nothing more" if math.isinf(t) else f"{t:.4f}"
            what = for_terminal(f"{r.action} threshold on {r.score} for {r.by} {value}")
            out.print(f"{what}: [bold]{shown}[/]")
    elif r.met:
        what = for_terminal(f"{r.action} threshold on {r.score}")
        out.print(f"{what}: {before} -> [bold]{r.after:.4f}[/]")
    table = Table(box=None, pad_edge=False)
    cols = ["metric", "before", "after"]
    if r.holdout_after is not None:
        cols += ["holdout before", "holdout after"]
    for name in cols:
        table.add_column(name, justify="left" if name == "metric" else "right")
    sides = [r.before_metrics, r.after_metrics]
    if r.holdout_after is not None and r.holdout_before is not None:
        sides += [r.holdout_before, r.holdout_after]
    for m in METRICS:
        table.add_row(m.label, *[metric_text(m, side[m.key], 1) for side in sides])
    out.print(table)
    for note in r.notes:
        out.print(f"[dim]{for_terminal(note)}[/]")
    if r.met:
        out.print(f"Wrote [bold]{for_terminal(out_path)}[/]")
    else:
        out.print("[red]No threshold meets the target[/]; nothing written.")
