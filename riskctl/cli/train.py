"""`riskctl train` and `riskctl score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl.cli.console import out, print_json, progress_bar
from riskctl.cli.options import JsonOpt, QuietOpt, SeedOpt
from riskctl.model.score import score_file
from riskctl.model.train import train_detector


def train(
    data: Annotated[Path, typer.Argument(help="Labelled history (Parquet, CSV, NDJSON).",
                                         show_default=False)],
    label: Annotated[str, typer.Option("--label", help="Label column (1 = bad, 0 = good).",
                                       show_default=False)],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Detector directory to write.",
                                          show_default=False)],
    time: Annotated[str | None, typer.Option("--time", help="Event-time column: train on "
                                             "earlier rows, validate on later ones.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Column never to use "
                                                      "as a feature (repeatable).")] = None,
    valid_fraction: Annotated[float, typer.Option("--valid-fraction", help="Share of rows "
                                                  "(the latest) kept for validation.")] = 0.2,
    rounds: Annotated[int, typer.Option("--rounds", help="Most boosting rounds; early "
                                        "stopping picks the best.")] = 300,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train an XGBoost detector and write it as a directory (model.ubj + manifest.json).

    [bold]Example:[/bold] riskctl train history.parquet --label is_bad --time event_time
    --exclude attack --out detectors/order
    """
    with progress_bar("Boosting", quiet or as_json) as progress:
        result = train_detector(data, label=label, out=out_dir, time=time,
                                exclude=exclude or [], valid_fraction=valid_fraction,
                                rounds=rounds, seed=seed, progress=progress)
    manifest = result.detector.manifest
    if as_json:
        print_json({"detector": str(out_dir), "metrics": manifest["metrics"],
                    "features": [f["name"] for f in manifest["features"]],
                    "roles": [r.__dict__ for r in result.roles]})
        return
    roles = Table(title="Column roles", title_justify="left", box=None, pad_edge=False)
    for name in ("column", "role", "why"):
        roles.add_column(name)
    for r in result.roles:
        roles.add_row(r.column, r.role, r.why)
    out.print(roles)
    m = manifest["metrics"]
    out.print(f"Validation ({m['rows']:,} later rows, {m['bad']:,} bad): "
              f"ROC AUC {m['roc_auc']:.4f}, PR AUC {m['pr_auc']:.4f}")
    if result.dropped_unlabelled:
        out.print(f"Dropped {result.dropped_unlabelled:,} rows with no label.")
    out.print(f"Wrote detector to [bold]{out_dir}[/]")


def score(
    detector: Annotated[Path, typer.Argument(help="Detector directory.", show_default=False)],
    data: Annotated[Path, typer.Argument(help="Table to score.", show_default=False)],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Table to write.",
                                           show_default=False)],
    keep: Annotated[list[str] | None, typer.Option("--keep", help="Extra input column to "
                                                   "carry into the output (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score a table with a detector: its id/label/time columns plus `score`, in input order.

    [bold]Example:[/bold] riskctl score detectors/order orders.parquet --out scored.parquet
    """
    result = score_file(detector, data, out_path, keep=keep)
    if as_json:
        print_json({"path": str(out_path), "rows": result.height,
                    "mean_score": result["score"].mean()})
        return
    out.print(f"Scored {result.height:,} rows into [bold]{out_path}[/]")
