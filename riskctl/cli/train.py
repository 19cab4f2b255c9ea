"""`riskctl train` and `riskctl score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import err, out, print_json, progress_bar
from riskctl.cli.models import roles_table, validation_summary
from riskctl.cli.options import HistoryOpt, JsonOpt, QuietOpt, SchedulerOpt, SeedOpt, TimeoutOpt
from riskctl.data.output import check_output_dir, check_output_file
from riskctl.distributed.cluster import cluster_options
from riskctl.errors import UsageError
from riskctl.model.score import score_file
from riskctl.model.train import TrainOptions
from riskctl.model.train import train as train_model


def train(
    data: Annotated[
        Path, typer.Argument(help="Labelled history (Parquet, CSV, NDJSON).", show_default=False)
    ],
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="Label column (1 = bad, 0 = good); rows without a label are dropped and counted.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Detector directory to write.", show_default=False)
    ],
    time: Annotated[
        str | None,
        typer.Option(
            "--time", help="Event-time column: train on earlier rows, validate on later ones."
        ),
    ] = None,
    ids: Annotated[
        list[str] | None,
        typer.Option("--id", help="Entity id column, never a feature (repeatable)."),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option("--amount", help="Money column (kept as a feature, recorded for metrics)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Column never to use as a feature (repeatable)."),
    ] = None,
    features: Annotated[
        list[str] | None,
        typer.Option(
            "--feature",
            help="Column to use as a "
            "feature even if it looks like an id or "
            "is constant (repeatable).",
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="time (latest rows validate; the default with --time) or random (stratified).",
        ),
    ] = None,
    valid_fraction: Annotated[
        float, typer.Option("--valid-fraction", help="Share of rows kept for validation.")
    ] = 0.2,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="model.yaml: parameters, imbalance, monotone and interaction constraints.",
        ),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            help="Most boosting rounds "
            "(default 300, or model.yaml's); early stopping "
            "picks the best.",
        ),
    ] = None,
    features_spec: Annotated[
        Path | None,
        typer.Option(
            "--features",
            help="features.yaml: derive point-in-time columns from raw events first; the "
            "detector keeps the spec, so score, explain, simulate and report derive the same.",
        ),
    ] = None,
    seed: SeedOpt = 0,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train an XGBoost detector; write it as a directory (model.ubj + manifest.json).

    Prints what each column became and why, then validation metrics: ROC AUC, PR AUC, catch
    rate at 0.1%/1%/5% false-positive rate, Brier score, calibration and feature importance.
    Same data, config and seed give a byte-identical model.

    [bold]model.yaml[/bold] (every key optional): rounds, early_stopping_rounds, max_depth,
    learning_rate, min_child_weight, subsample, colsample_bytree, reg_lambda, max_bin,
    imbalance (none | balanced | a weight), monotone ({feature: increasing | decreasing}),
    interactions (\\[\\[feature, ...], ...]).

    With --scheduler, DATA may be a directory or glob of Parquet parts, trained on the Dask
    cluster with xgboost.dask (roles inferred from a sample of the parts; the same parts and
    seed give the same model).

    [bold]Example:[/bold] riskctl train history.parquet --label is_bad --time event_time
    --exclude attack --out detectors/order

    From raw events: riskctl train events.parquet --features features.yaml --label is_bad
    --time event_time --out detectors/order
    """
    check_output_dir(out_dir, create=False)
    options = TrainOptions(
        label=label,
        time=time,
        ids=tuple(ids or ()),
        amount=amount,
        exclude=tuple(exclude or ()),
        features=tuple(features or ()),
        split=split,
        valid_fraction=valid_fraction,
        rounds=rounds,
        seed=seed,
        config=config,
        features_spec=features_spec,
    )
    cluster = cluster_options(scheduler, timeout)
    if cluster is not None:
        from riskctl.distributed.train import train_dataset

        result = train_dataset(data, out_dir, options, cluster)
    else:
        with progress_bar("Boosting", quiet or as_json) as progress:
            result = train_model(data, out_dir, options, progress)
    manifest = result.detector.manifest
    if as_json:
        print_json(
            {
                "detector": str(out_dir),
                "metrics": manifest["metrics"],
                "features": [f["name"] for f in manifest["features"]],
                "roles": [r.to_dict() for r in result.roles],
                "imbalance": manifest["imbalance"],
                "warnings": result.warnings,
                "dropped_unlabelled": result.dropped_unlabelled,
            }
        )
        return
    if not quiet:
        out.print(roles_table(result.roles))
    out.print(validation_summary(manifest))
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if result.dropped_unlabelled:
        out.print(f"Dropped {result.dropped_unlabelled:,} rows with no label.")
    out.print(f"Wrote detector to [bold]{out_dir}[/]")


def score(
    detector: Annotated[Path, typer.Argument(help="Detector directory.", show_default=False)],
    data: Annotated[Path, typer.Argument(help="Table to score.", show_default=False)],
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Table to write.", show_default=False)
    ],
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="Extra input column to carry into the output (repeatable)."),
    ] = None,
    keep_all: Annotated[
        bool,
        typer.Option(
            "--keep-all",
            help="Carry every input column (so the output can be simulated with rules).",
        ),
    ] = False,
    history: HistoryOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Score a table with a detector: its id/label/time columns plus `score`, in input order.

    Reads and scores in batches, so memory stays bounded on files larger than RAM. Category
    values never seen in training are scored as missing, and counted.

    With --scheduler, DATA may be a directory or glob of Parquet parts; each part is scored
    on the Dask cluster into OUT/part-NNNNN.parquet (OUT is then a directory).

    [bold]Example:[/bold] riskctl score detectors/order orders.parquet --out scored.parquet
    """
    cluster = cluster_options(scheduler, timeout)
    if cluster is None:
        check_output_file(out_path)
    else:
        check_output_dir(out_path, create=False)
    with progress_bar("Scoring", quiet or as_json) as progress:
        if cluster is not None:
            from riskctl.distributed.rows import score_dataset

            if history is not None:
                raise UsageError("--history runs on one machine only", hint="drop --scheduler")
            summary = score_dataset(
                detector, data, out_path, cluster, keep, progress=progress, keep_all=keep_all
            )
        else:
            summary = score_file(
                detector,
                data,
                out_path,
                keep=keep,
                progress=progress,
                keep_all=keep_all,
                history=history,
            )
    if as_json:
        print_json(
            {
                "path": str(out_path),
                "rows": summary.rows,
                "columns": summary.columns,
                "unseen_categories": summary.unseen,
            }
        )
        return
    for feature, n in summary.unseen.items():
        err.print(
            f"[yellow]note:[/] {n:,} values of '{feature}' were never seen in training "
            "and were scored as missing",
            soft_wrap=True,
        )
    out.print(f"Scored {summary.rows:,} rows into [bold]{out_path}[/]")
