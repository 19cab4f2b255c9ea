"""`riskctl simulate`: a strategy (and a baseline) applied to labelled history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import metrics_table, out, print_json
from riskctl.cli.options import AmountOpt, BaselineOpt, DataOpt, JsonOpt, LabelOpt, TimeOpt
from riskctl.evaluate.results import run_to_dict, write_simulation
from riskctl.evaluate.simulate import run_simulation


def simulate(
    strategy: Annotated[Path, typer.Argument(help="Strategy YAML (the candidate).",
                                             show_default=False)],
    data: DataOpt,
    baseline: BaselineOpt = None,
    label: LabelOpt = None,
    time: TimeOpt = None,
    amount: AmountOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Directory for per-row "
                                                 "decisions (Parquet) and metrics (JSON).")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a strategy to labelled history: catch rate, false-positive rate, precision, alert
    rate (95% Wilson intervals), review load and expected cost; with --baseline, the change.

    [bold]Example:[/bold] riskctl simulate strategies/candidate.yaml --baseline
    strategies/baseline.yaml --data riskctl-demo/scored.parquet
    """
    run = run_simulation(strategy, data, baseline=baseline, label=label, time=time,
                         amount=amount)
    if out_dir is not None:
        write_simulation(run, out_dir)
    if as_json:
        print_json(run_to_dict(run))
        return
    out.print(metrics_table(run))
    if out_dir is not None:
        out.print(f"Wrote decisions and metrics to [bold]{out_dir}[/]")
