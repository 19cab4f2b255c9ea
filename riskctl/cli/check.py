"""`riskctl check`: the CI gate on a strategy change."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import guardrail_table, metrics_table, out, print_json
from riskctl.cli.options import AmountOpt, BaselineOpt, DataOpt, JsonOpt, LabelOpt, TimeOpt
from riskctl.errors import EXIT_CHECK_FAILED
from riskctl.evaluate.results import run_to_dict
from riskctl.evaluate.simulate import run_simulation
from riskctl.gate.guardrails import check_guardrails


def check(
    candidate: Annotated[Path, typer.Argument(help="The proposed strategy YAML.",
                                              show_default=False)],
    data: DataOpt,
    baseline: BaselineOpt = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the candidate's guardrails on labelled history. Exit 0 when all hold, 1 when one
    fails (naming it and by how much), 2 on bad input.

    [bold]Example:[/bold] riskctl check strategies/candidate.yaml --baseline
    strategies/baseline.yaml --data riskctl-demo/scored.parquet
    """
    run = run_simulation(candidate, data, baseline=baseline, label=label, time=time,
                         amount=amount)
    results = check_guardrails(run)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json({"passed": not failed, "guardrails": [r.to_dict() for r in results],
                    **run_to_dict(run)})
    else:
        out.print(metrics_table(run))
        if results:
            out.print(guardrail_table(results))
        else:
            out.print("The candidate sets no guardrails (add a `guardrails:` section).")
        verdict = (f"[red]FAILED[/]: {len(failed)} of {len(results)} guardrails fail"
                   if failed else f"[green]PASSED[/]: {len(results)} guardrails hold")
        out.print(verdict)
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)
