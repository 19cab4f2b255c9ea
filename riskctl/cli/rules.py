"""`riskctl rules ...`: rules for the fraud a strategy misses."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl.cli.console import err, out, print_json, progress_bar
from riskctl.cli.helptext import ReflowGroup
from riskctl.cli.options import (
    AmountOpt,
    DataOpt,
    JsonOpt,
    LabelOpt,
    SchedulerOpt,
    SeedOpt,
    TimeOpt,
    TimeoutOpt,
)
from riskctl.data.output import check_output_file
from riskctl.errors import UsageError
from riskctl.escape import for_terminal
from riskctl.executor import refuse_on_cluster, suggest_rules
from riskctl.numbers import fmt_count, fmt_percent, fmt_points_interval
from riskctl.rules.options import Options
from riskctl.rules.suggest import Suggested, Suggestion
from riskctl.rules.write import write_suggested

app = typer.Typer(
    cls=ReflowGroup,
    help="Rules for the fraud a strategy lets through.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.command("suggest")
def suggest(
    strategy: Annotated[
        Path, typer.Argument(help="Strategy YAML running today.", show_default=False)
    ],
    data: DataOpt,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the strategy with the suggested rules added in shadow mode, each "
            "under a comment with its holdout numbers.",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write an HTML report: a Suggested rules section (per rule its "
            "condition, holdout marginal catch and FPR with intervals, precision, alerts per "
            "day, overlap, folds passed and attack mix; the set's totals and budget verdict), "
            "then simulate's report of the written strategy (rules in shadow mode) against "
            "the strategy on the holdout rows.",
        ),
    ] = None,
    budget_fpr: Annotated[
        float,
        typer.Option(
            "--budget-fpr",
            help="Largest false-positive rate the rules may add together, judged at the "
            "upper end of the holdout's 95% interval.",
        ),
    ] = 0.002,
    action: Annotated[
        str, typer.Option("--action", help="The action the suggested rules give.")
    ] = "review",
    max_rules: Annotated[int, typer.Option("--max-rules", help="At most this many rules.")] = 5,
    max_conditions: Annotated[
        int, typer.Option("--max-conditions", help="At most this many conditions per rule.")
    ] = 3,
    columns: Annotated[
        list[str] | None,
        typer.Option("--columns", help="Search rules only on this column (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Never use this column in a rule (repeatable)."),
    ] = None,
    holdout_from: Annotated[
        str | None,
        typer.Option(
            "--holdout-from",
            help="Judge the rules on rows at or after this date (YYYY-MM-DD); the search "
            "sees only earlier rows.",
        ),
    ] = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            "--holdout",
            help="Judge the rules on the latest share of rows by time (0.3 when neither "
            "this nor --holdout-from is given).",
        ),
    ] = None,
    folds: Annotated[
        int, typer.Option("--folds", help="Consecutive periods the search window is cut into.")
    ] = 4,
    min_folds: Annotated[
        int, typer.Option("--min-folds", help="A rule must pay in at least this many periods.")
    ] = 3,
    attack: Annotated[
        str | None,
        typer.Option(
            "--attack",
            help="Column naming the attack or segment of each row: each rule's catch is "
            "broken down by it (default: a column named `attack`); never rule material.",
        ),
    ] = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    seed: SeedOpt = 0,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suggest rules for the bad rows a strategy lets through, proven on later rows.

    Candidates are conjunctions of up to --max-conditions conditions (numeric thresholds at
    the data's quantiles, a text value or IN list, IS NULL) over the data's columns, written
    as the `when:` SQL strategies use. Ids, the label, the time, history columns and the
    --attack column are never used; a column that alone separates bad from good is left
    out with a leakage warning.

    A rule is scored where it would sit: by the bad rows it newly stops and the good rows
    it newly hits among the rows the strategy lets through. Rules are chosen greedily on the
    earlier rows (the search window), together within --budget-fpr, and kept only if they
    pay in at least --min-folds of --folds periods. Every number shown is then measured on
    the later holdout window, by the same code as `riskctl simulate` (95% intervals; unseen
    outcomes three ways). Rows with no usable label never justify a rule.

    With --scheduler, every pass over the rows runs on the Dask cluster (--data may be a
    directory of Parquet parts) and gives the same rules and numbers as one machine; as for
    `simulate --scheduler`, holdout rows with no usable label and --report need one machine.

    [bold]Example:[/bold] riskctl rules suggest riskctl-demo/strategies/baseline.yaml
    --data riskctl-demo/scored.parquet --budget-fpr 0.005 --out suggested.yaml
    """
    if out_path is not None:
        check_output_file(out_path, "--out")
        if out_path.resolve() == strategy.resolve():
            raise UsageError(
                "--out is the strategy itself", hint="write the suggestions to a new file"
            )
    if report is not None:
        check_output_file(report, "--report")
    opts = Options(
        budget_fpr, action, max_rules, max_conditions, columns, list(exclude or []), holdout,
        holdout_from, folds, min_folds, seed, attack, label, time, amount,
    )  # fmt: skip
    refuse_on_cluster(scheduler, timeout, {"--report": report})
    with progress_bar("Searching rules", as_json):  # a terminal only: time elapsed
        result = suggest_rules(strategy, data, opts, scheduler, timeout)
    if out_path is not None:
        write_suggested(result, out_path)
    if report is not None:
        from riskctl.report.build import report_for_suggestion  # the report stack, if asked

        command = "riskctl " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "riskctl rules"
        report_for_suggestion(result, report, command)
    if as_json:
        print_json(result.to_dict())
        return
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {for_terminal(warning)}", soft_wrap=True)
    _print(result)
    if out_path is not None:
        out.print(
            f"Wrote the strategy with the rules in shadow mode to [bold]{for_terminal(out_path)}[/]"
        )


def _print(result: Suggestion) -> None:
    o = result.options
    out.print(
        f"Searched {result.search_rows:,} rows before {result.split.holdout_from}; measured on "
        f"{result.holdout_rows:,} holdout rows. Budget: FPR +{fmt_percent(o.budget_fpr, 2)}."
    )
    if not result.rules:
        out.print("No rule pays within the budget in enough periods.")
        return
    for s in result.rules:
        out.print(f"{for_terminal(s.rule.name)}: {for_terminal(s.rule.when)}", soft_wrap=True)
    out.print(_table(result))
    t = result.together
    if t is not None:
        fpr = t.delta.get("false_positive_rate")
        verdict = "within" if result.within_budget else "[red]over[/]"
        fpr_text = fmt_points_interval(fpr.value, fpr.low, fpr.high, 3) if fpr else "n/a"
        out.print(
            f"Together: newly stop {t.bad:,} bad, hit {t.good:,} good; FPR {fpr_text}: "
            f"{verdict} the budget at the upper bound."
        )
    for s in result.rules:
        if s.attacks:
            mix = ", ".join(
                f"{for_terminal(k)} {v['bad']}" for k, v in s.attacks.items() if v["bad"]
            )
            out.print(f"{for_terminal(s.rule.name)} newly stops bad rows of: {mix or 'none'}")


def _table(result: Suggestion) -> Table:
    table = Table(title="Suggested rules (holdout)", title_justify="left", box=None)
    for name in (
        "rule",
        "catch",
        "FPR",
        "precision",
        "alerts/day",
        "overlap",
        "folds",
    ):
        table.add_column(name, justify="left" if name in ("rule", "overlap") else "right")
    for s in result.rules:
        h = s.holdout
        catch, fpr = h.delta.get("catch_rate"), h.delta.get("false_positive_rate")
        table.add_row(
            for_terminal(s.rule.name),
            fmt_points_interval(catch.value, catch.low, catch.high, compact=True)
            if catch
            else "n/a",
            fmt_points_interval(fpr.value, fpr.low, fpr.high, 3, compact=True) if fpr else "n/a",
            fmt_percent(s.precision.value, 1),
            fmt_count(h.alerts_per_day),
            for_terminal(", ".join(f"{k} {v}" for k, v in _overlap(s).items())) or "-",
            f"{s.folds_passed}/{result.options.folds}",
        )
    return table


def _overlap(s: Suggested) -> dict[str, int]:
    """Rows it fires on that the strategy already stops, then per existing rule."""
    both = {"stopped": s.already_flagged} if s.already_flagged else {}
    return {**both, **s.overlap}
