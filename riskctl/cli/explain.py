"""`riskctl explain`: exact SHAP contributions and reason codes per row; global views."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl import executor
from riskctl.cli.console import err, out, print_json, progress_bar
from riskctl.cli.options import (
    PARTITIONED_OUT,
    HistoryOpt,
    JsonOpt,
    QuietOpt,
    SchedulerOpt,
    TimeoutOpt,
)
from riskctl.escape import for_terminal
from riskctl.explain.batches import ExplainOptions
from riskctl.explain.summary import ExplainSummary


def explain(
    detector: Annotated[Path, typer.Argument(help="Detector directory.", show_default=False)],
    data: Annotated[
        Path, typer.Argument(help="Rows to explain (Parquet, CSV, NDJSON).", show_default=False)
    ],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Per-row table to write (.parquet, .csv, .ndjson, .json). In CSV, a text cell "
            "starting with = + - @ gets a leading ' (never a spreadsheet formula). "
            + PARTITIONED_OUT.format(kind="explain"),
        ),
    ] = None,
    strategy: Annotated[
        Path | None,
        typer.Option(
            "--strategy",
            "-s",
            help="Strategy YAML: each row gets its action; fired rules lead its reasons.",
        ),
    ] = None,
    reasons: Annotated[
        Path | None,
        typer.Option(
            "--reasons", help="Reason catalogue YAML (e.g. strategies/reason_codes.yaml)."
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Model reasons per row.", min=1, max=20)] = 3,
    only_flagged: Annotated[
        bool, typer.Option("--only-flagged", help="Explain only the rows the strategy flags.")
    ] = False,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="Global views: mean |SHAP| overall "
            "and per segment, top reasons by action and segment, "
            "dependence data.",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Segment column for --summary (default: the strategy's segments)."
        ),
    ] = None,
    mask: Annotated[
        bool,
        typer.Option(
            "--mask-ids", help="Replace entity ids with a keyed hash (stable within this run)."
        ),
    ] = False,
    approximate: Annotated[
        bool,
        typer.Option(
            "--approximate", help="Fast approximate contributions (Saabas) for very large runs."
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Exact SHAP engine: fast (riskctl's TreeSHAP) or xgboost (pred_contribs); "
            "same values.",
        ),
    ] = "fast",
    with_interactions: Annotated[
        bool,
        typer.Option(
            "--interactions", help="Add the strongest SHAP interaction pairs to --summary."
        ),
    ] = False,
    history: HistoryOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Explain rows: exact SHAP contributions and reason codes.

    Exact TreeSHAP (the values shap.TreeExplainer and XGBoost's pred_contribs give), margin,
    score and the top reasons, computed in batches. --engine xgboost uses pred_contribs itself.

    Output columns: id/label/time, score, margin, shap_<feature> per feature, shap_bias
    (contributions plus bias equal the margin), reason_codes and reason_texts (most important
    first; with --strategy, the rules that fired come first, then the model's reasons).

    [bold]Example:[/bold] riskctl explain riskctl-demo/detector riskctl-demo/scored.parquet
    --strategy riskctl-demo/strategies/candidate.yaml --reasons
    riskctl-demo/strategies/reason_codes.yaml --only-flagged --summary --out reasons.parquet
    """
    options = ExplainOptions(
        top=top,
        strategy=strategy,
        catalogue=reasons,
        only_flagged=only_flagged,
        mask_ids=mask,
        approximate=approximate,
        engine=engine,
        interactions=with_interactions,
        summary=summary or with_interactions,
        by=by,
        history=history,
    )
    with progress_bar("Explaining", quiet or as_json) as progress:
        result = executor.explain(detector, data, out_path, options, progress, scheduler, timeout)
    if as_json:
        print_json(
            {
                "path": str(result.path) if result.path else None,
                "rows": result.rows_in,
                "explained": result.rows_explained,
                "uncatalogued_features": result.uncatalogued,
                "masked": result.masked,
                "summary": result.summary.to_dict() if result.summary else None,
            }
        )
        return
    if result.summary is not None:
        render_summary(result.summary)
    if reasons and result.uncatalogued:
        err.print(
            "[yellow]note:[/] no catalogue entry for "
            + for_terminal(", ".join(result.uncatalogued))
            + " (generated text is used)",
            soft_wrap=True,
        )
    if result.path is not None:
        out.print(
            f"Explained {result.rows_explained:,} of {result.rows_in:,} rows into "
            f"[bold]{for_terminal(result.path)}[/]"
        )


def render_summary(s: ExplainSummary) -> None:
    table = Table(
        title=f"Mean |SHAP| over {s.rows:,} rows", title_justify="left", box=None, pad_edge=False
    )
    table.add_column("feature")
    segments = list(s.importance_by_segment)
    show = segments if 1 < len(segments) <= 4 else []
    table.add_column("all", justify="right")
    for seg in show:
        table.add_column(for_terminal(seg), justify="right")
    by_seg = {seg: dict(rows) for seg, rows in s.importance_by_segment.items()}
    for feature, value in s.importance[:12]:
        values = [f"{by_seg[g].get(feature, 0):.4f}" for g in show]
        table.add_row(for_terminal(feature), f"{value:.4f}", *values)
    out.print(table)
    for title, groups in (
        ("Main reason by action", s.reasons_by_action),
        ("Main reason by segment", s.reasons_by_segment),
    ):
        t = Table(title=title, title_justify="left", box=None, pad_edge=False)
        for name in ("group", "code", "rows", "share"):
            t.add_column(name, justify="right" if name in ("rows", "share") else "left")
        for group, rows in groups.items():
            for code, n, share in rows[:5]:
                t.add_row(for_terminal(group), for_terminal(code), f"{n:,}", f"{100 * share:.1f}%")
        out.print(t)
    if s.interactions:
        t = Table(
            title="Strongest interactions (mean |SHAP interaction|)",
            title_justify="left",
            box=None,
            pad_edge=False,
        )
        for name in ("feature", "with", "mean"):
            t.add_column(name)
        for a, b, v in s.interactions[:8]:
            t.add_row(for_terminal(a), for_terminal(b), f"{v:.4f}")
        out.print(t)
