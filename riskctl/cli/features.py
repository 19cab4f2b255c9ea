"""`riskctl features`: point-in-time derived columns from raw events."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from riskctl import executor
from riskctl.cli.console import out, print_json, progress_bar
from riskctl.cli.options import (
    PARTITIONED_OUT,
    HistoryOpt,
    JsonOpt,
    QuietOpt,
    SchedulerOpt,
    TimeoutOpt,
)
from riskctl.data.memory import parse_size
from riskctl.escape import for_terminal
from riskctl.executor import refuse_on_cluster


def features(
    spec: Annotated[Path, typer.Argument(help="features.yaml: what to derive.")],
    data: Annotated[Path, typer.Option("--data", "-d", help="Raw events: Parquet, CSV or NDJSON.")],
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Table to write: the data plus derived columns. "
            + PARTITIONED_OUT.format(kind="features"),
        ),
    ],
    history: HistoryOpt = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help="Memory to stay within, e.g. 2GiB or 500MB. A table that would need more "
            "is computed in bounded passes (row chunks, entity hash buckets, temporary "
            "Parquet beside --out) with the same results. Default: 60% of the memory "
            "available when the command starts.",
        ),
    ] = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Add point-in-time derived columns: per-entity counts, distinct counts, sums and means
    over windows, time since first/last seen, rings of accounts linked by shared devices or
    IPs, and lookups. A row sees itself and strictly earlier rows, never a later one.

    --history rows that repeat a data row count once. They are matched on every column but
    the outcomes, which may have matured between two exports: list those in the spec's
    `outcomes: [is_bad, ...]` (ring labels, and a detector's label, are outcomes already).

    Tables larger than memory: every window depends only on rows of the same entity
    value, so with --memory-limit (or automatically, when the table would not fit) the
    work runs one chunk of rows or one hash bucket of entity values at a time.

    With --scheduler, the data (and history) may be directories or globs of Parquet parts,
    and the output is a directory: one part per data part, rows in the input's order, the
    same columns as on one machine. Windowed columns are computed per entity value after a
    shuffle by that entity; a ring is built in one task from the distinct links and first
    bad labels (much smaller than the rows) and each part answers its own rows from it.
    History must end before the data starts there.

    [bold]Example:[/bold] riskctl features riskctl-demo/features.yaml --data
    riskctl-demo/events.parquet --out features.parquet --memory-limit 2GiB

    [bold]On a cluster:[/bold] riskctl features features.yaml --data 'events/*.parquet'
    --out derived/ --scheduler tcp://10.0.0.5:8786
    """
    refuse_on_cluster(scheduler, timeout, {"--memory-limit": memory_limit})
    limit = parse_size(memory_limit) if memory_limit is not None else None
    with progress_bar("Deriving features", quiet or as_json) as progress:
        run = executor.features(spec, data, out_path, history, progress, limit, scheduler, timeout)
    if as_json:
        print_json(
            {
                "path": str(run.out),
                "rows": run.rows,
                "history_rows": run.history_rows,
                "shared_rows": run.shared_rows,
                "features": [asdict(f) for f in run.features],
            }
        )
        return
    extra = f" ({run.history_rows:,} history rows as context)" if run.history_rows else ""
    if run.shared_rows:
        extra += f"; {run.shared_rows:,} history rows were in the data too and count once"
    out.print(f"Wrote {run.rows:,} rows to [bold]{for_terminal(run.out)}[/]{extra}")
    table = Table(box=None, pad_edge=False)
    for name in ("feature", "kind", "type", "nulls", "min", "max"):
        table.add_column(name, justify="right" if name in ("nulls", "min", "max") else "left")
    for f in run.features:
        span = ["" if v is None else f"{v:,.6g}" for v in (f.min, f.max)]
        texts = [for_terminal(v) for v in (f.name, f.kind, f.dtype)]
        table.add_row(*texts, f"{f.nulls:,}", *span)
    out.print(table)
