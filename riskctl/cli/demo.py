"""`riskctl demo`: the whole pipeline on built-in synthetic history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import err, out, print_json, progress_bar
from riskctl.cli.options import JsonOpt, QuietOpt, SeedOpt
from riskctl.cli.tables import guardrail_table, metrics_table
from riskctl.data.output import check_output_dir
from riskctl.escape import for_terminal
from riskctl.output.json import run_to_dict


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for everything the demo makes.")
    ] = Path("riskctl-demo"),
    rows: Annotated[
        int, typer.Option("--rows", "-n", help="Orders of synthetic history.")
    ] = 200_000,
    seed: SeedOpt = 7,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole pipeline on synthetic history and write the report.

    Generates raw order events, derives point-in-time features from them (device sharing,
    velocity, rings; the spec is examples/features.yaml), trains a detector that keeps the
    spec, scores, simulates the example candidate strategy
    against the baseline, explains flagged rows, checks guardrails and writes an HTML
    report. Ends by printing the report's path. The folder also holds every file the
    documentation's examples name: the features spec, the example strategies (with
    loose.yaml, which fails its guardrails, and production.yaml) and new_events.parquet,
    unlabelled orders of the two days after the history.

    [bold]Example:[/bold] riskctl demo --out riskctl-demo --rows 200000 --seed 7
    """
    check_output_dir(out_dir, create=False)
    started = time.perf_counter()
    quiet = quiet or as_json

    def step(message: str) -> None:
        if not quiet:
            err.print(f"[cyan]•[/] {for_terminal(message)}")

    with progress_bar("Boosting", quiet) as progress:
        # the report stack (altair) loads only when a report is asked for
        from riskctl.demo import run_demo

        result = run_demo(out_dir, rows=rows, seed=seed, step=step, progress=progress)
    elapsed = time.perf_counter() - started
    if as_json:
        print_json(
            {
                "report": str(result.report),
                "seconds": round(elapsed, 1),
                "detector": {
                    "path": str(result.detector.path),
                    **result.detector.manifest["metrics"],
                },
                "guardrails": [g.to_dict() for g in result.guardrails],
                **run_to_dict(result.run),
            }
        )
        return
    m = result.detector.manifest["metrics"]
    out.print(
        f"Detector: ROC AUC {m['roc_auc']:.4f}, PR AUC {m['pr_auc']:.4f} on "
        f"{m['rows']:,} test-slice rows"
    )
    out.print(metrics_table(result.run))
    out.print(guardrail_table(result.guardrails))
    try_next = (
        f"riskctl check {out_dir}/strategies/candidate.yaml "
        f"--baseline {out_dir}/strategies/baseline.yaml --data {result.scored}"
    )
    out.print(f"Done in {elapsed:.1f}s. Try: {for_terminal(try_next)}")
    out.print(f"Report: [bold]{for_terminal(result.report)}[/]", soft_wrap=True)
