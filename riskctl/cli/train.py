"""`riskctl train` and `riskctl score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl import executor
from riskctl.cli.console import err, out, print_json, progress_bar
from riskctl.cli.models import periods_table, roles_table, test_summary
from riskctl.cli.options import (
    PARTITIONED_OUT,
    HistoryOpt,
    JsonOpt,
    QuietOpt,
    SchedulerOpt,
    SeedOpt,
    TimeoutOpt,
)
from riskctl.data.output import check_output_dir
from riskctl.escape import for_terminal
from riskctl.model.train import TrainOptions


def train(
    data: Annotated[
        Path, typer.Argument(help="Labelled history (Parquet, CSV, NDJSON).", show_default=False)
    ],
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="Label column (1 = bad, 0 = good, or any values with --bad); rows without a "
            "label are dropped and counted.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Detector directory to write (model.ubj, manifest.json, split.parquet, and "
            "features/ with --features); refused before training if a file there is an input.",
            show_default=False,
        ),
    ],
    time: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="Event-time column: train on the earliest rows, stop early on later ones, "
            "test on the latest.",
        ),
    ] = None,
    bad: Annotated[
        str | None,
        typer.Option(
            "--bad",
            help="The label value that means bad, for labels other than 0/1 "
            "(e.g. --bad -1, --bad fraud, --bad yes); every other value is good.",
        ),
    ] = None,
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help="Keep every value of this column (device, account, card) on one side of "
            "the split (repeatable; rows sharing any value stay together).",
        ),
    ] = None,
    categorical: Annotated[
        list[str] | None,
        typer.Option(
            "--categorical",
            help="Column to use as a category even if it holds numbers, e.g. an app or "
            "channel code (repeatable).",
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
            help="time (the default with --time: test on the latest rows) or random "
            "(stratified by class).",
        ),
    ] = None,
    valid_fraction: Annotated[
        float,
        typer.Option("--valid-fraction", help="Share of rows for the early-stopping slice."),
    ] = 0.2,
    test_fraction: Annotated[
        float,
        typer.Option(
            "--test-fraction", help="Share of rows for the test slice (every reported metric)."
        ),
    ] = 0.2,
    period: Annotated[
        str,
        typer.Option(
            "--period", help="Period for the per-period table: day, week, month or e.g. 2w."
        ),
    ] = "week",
    calibrate: Annotated[
        str | None,
        typer.Option(
            "--calibrate",
            help="isotonic or platt: calibrate scores on the early-stopping slice; stored in "
            "the detector and applied wherever it scores.",
        ),
    ] = None,
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

    Three slices: the model learns from the train slice, early stopping (and --calibrate)
    watch the early-stopping slice, and every reported metric comes from the test slice: ROC
    AUC, PR AUC, catch rate at 0.1%/1%/5% false-positive rate and Brier score, each with a
    95% bootstrap interval, then calibration, feature importance and a table by period.
    Warnings (stderr) flag bad rates that vary across periods, test results carried by a
    burst (a run of consecutive periods; with the ROC AUC outside it), a test slice within
    one period, a model near chance, miscalibrated scores, catch-rate intervals too wide to
    read and single features that look like leakage; those on periods and calibration fire
    only beyond chance at the observed counts (p < 0.001). The split (which input row went
    where, with test scores and a digest of each row) is written to split.parquet in the
    detector directory: simulate, check, tune, sweep, report and monitor read it to leave
    the training rows out of their numbers (--rows). Duplicate rows (equal in every
    feature, the label and the time) are counted and each set of copies is kept on one side
    of the split, so copies cannot inflate the test metrics. Column names may hold any
    character (XGBoost's own names for the features are positional when a name holds `[`,
    `]` or `<`; the manifest, importance, SHAP columns and reasons keep yours). Same data,
    config and seed give a byte-identical model.

    [bold]model.yaml[/bold] (every key optional): rounds, early_stopping_rounds, max_depth,
    learning_rate, min_child_weight, subsample, colsample_bytree, reg_lambda, max_bin,
    imbalance (none | balanced | a weight), monotone ({feature: increasing | decreasing}),
    interactions (\\[\\[feature, ...], ...]).

    With --scheduler, DATA may be a directory or glob of Parquet parts, trained on the Dask
    cluster with xgboost.dask: the same train, early-stopping and test slices (metrics from
    the test slice), roles inferred from a sample of the parts, the same parts and seed give
    the same model; with --features the columns are derived on the cluster first. --group,
    --calibrate, --categorical, --bad and --period run on one machine only.

    [bold]Example:[/bold] riskctl train riskctl-demo/history.parquet --label is_bad --time
    event_time --exclude attack --group device_id --calibrate isotonic --out detectors/order

    From raw events: riskctl train riskctl-demo/events.parquet --features
    riskctl-demo/features.yaml --label is_bad --time event_time --exclude attack --out
    detectors/order
    """
    check_output_dir(out_dir, create=False)
    options = TrainOptions(
        label=label,
        time=time,
        ids=tuple(ids or ()),
        amount=amount,
        exclude=tuple(exclude or ()),
        features=tuple(features or ()),
        categorical=tuple(categorical or ()),
        groups=tuple(groups or ()),
        bad=bad,
        split=split,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        period=period,
        calibrate=calibrate,
        rounds=rounds,
        seed=seed,
        config=config,
        features_spec=features_spec,
    )
    with progress_bar("Boosting", quiet or as_json) as progress:
        result = executor.train_detector(data, out_dir, options, progress, scheduler, timeout)
    manifest = result.detector.manifest
    if as_json:
        print_json(
            {
                "detector": str(out_dir),
                "metrics": manifest["metrics"],
                "split": manifest["split"],
                "periods": manifest["periods"],
                "features": [f["name"] for f in manifest["features"]],
                "roles": [r.to_dict() for r in result.roles],
                "imbalance": manifest["imbalance"],
                "warnings": manifest["warnings"],
                "dropped_unlabelled": result.dropped_unlabelled,
            }
        )
        return
    if not quiet:
        out.print(roles_table(result.roles))
    out.print(test_summary(manifest))
    if manifest["periods"]:
        out.print(periods_table(manifest))
    for warning in manifest["warnings"]:
        text = for_terminal(f"[{warning['code']}] {warning['message']}")
        err.print(f"[bold red]WARNING[/] {text}", soft_wrap=True)
    if result.dropped_unlabelled:
        out.print(f"Dropped {result.dropped_unlabelled:,} rows with no label.")
    if manifest["split"].get("duplicate_rows"):
        out.print(
            f"{manifest['split']['duplicate_rows']:,} rows repeat an earlier row (every feature, "
            "the label and the time): each set of copies was kept on one side of the split."
        )
    out.print(f"Wrote detector to [bold]{for_terminal(out_dir)}[/]")


def score(
    detector: Annotated[Path, typer.Argument(help="Detector directory.", show_default=False)],
    data: Annotated[Path, typer.Argument(help="Table to score.", show_default=False)],
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Table to write. " + PARTITIONED_OUT.format(kind="score"),
            show_default=False,
        ),
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
    column: Annotated[
        str,
        typer.Option("--column", help="Name of the score column to write (e.g. score_v2)."),
    ] = "score",
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Overwrite a score column the table already has (refused without it).",
        ),
    ] = False,
    history: HistoryOpt = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Score a table with a detector: its id/label/time columns plus the score, in input order.

    The score is written as `score`, or under --column NAME. A table that already has that
    column (a scored table, scored again) is refused unless --replace overwrites it.

    Reads and scores in batches, so memory stays bounded on files larger than RAM. Category
    values never seen in training are scored as missing, and counted. A categorical column
    that arrives with another type than in training (a CSV export reads the code `03` back
    as the integer 3) is used only when every value, written as text, is exactly a trained
    category; otherwise the table is refused.

    With --scheduler, DATA may be a directory or glob of Parquet parts; each part is scored
    on the Dask cluster into OUT/part-NNNNN.parquet (OUT is then a directory). Raw events
    for a detector with a features spec get its derived columns on the cluster first.

    [bold]Example:[/bold] riskctl score riskctl-demo/detector riskctl-demo/new_events.parquet
    --history riskctl-demo/events.parquet --out scored.parquet
    """
    with progress_bar("Scoring", quiet or as_json) as progress:
        summary = executor.score(
            detector, data, out_path, keep, keep_all, history, progress, scheduler, timeout,
            column=column, replace=replace,
        )  # fmt: skip
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
            f"[yellow]note:[/] {n:,} values of '{for_terminal(feature)}' were never seen in "
            "training and were scored as missing",
            soft_wrap=True,
        )
    out.print(f"Scored {summary.rows:,} rows into [bold]{for_terminal(out_path)}[/]")
