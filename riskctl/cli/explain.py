"""`riskctl explain`: exact SHAP contributions and reason codes per row."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import out, print_json, progress_bar
from riskctl.cli.options import JsonOpt, QuietOpt
from riskctl.data.io import scan_table, write_table
from riskctl.explain.run import explain_rows
from riskctl.model.detector import load_detector


def explain(
    detector: Annotated[Path, typer.Argument(help="Detector directory.", show_default=False)],
    data: Annotated[Path, typer.Argument(help="Rows to explain.", show_default=False)],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Table to write (.parquet, "
                                           ".csv, .ndjson).", show_default=False)],
    top: Annotated[int, typer.Option("--top", help="Reasons per row.", min=1, max=20)] = 3,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Per-row SHAP contributions (XGBoost's exact TreeSHAP), margin, score and the top
    reasons. Contributions plus `shap_bias` add up to `margin`.

    [bold]Example:[/bold] riskctl explain riskctl-demo/detector flagged.parquet --out
    reasons.parquet
    """
    det = load_detector(detector)
    df = scan_table(data).collect()
    keep = [c for c in (det.label, det.time) if c and c in df.columns]
    keep += [c for c in df.columns if c.endswith("_id") and c not in keep]
    with progress_bar("Explaining", quiet or as_json) as progress:
        result = explain_rows(det, df, keep=keep, k=top, progress=progress)
    write_table(result, out_path)
    if as_json:
        print_json({"path": str(out_path), "rows": result.height})
        return
    out.print(f"Explained {result.height:,} rows into [bold]{out_path}[/]")
