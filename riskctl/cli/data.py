"""`riskctl data ...`: synthetic history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from riskctl.cli.console import err, out, print_json
from riskctl.cli.options import JsonOpt, SeedOpt
from riskctl.data.drift import parse_drift, plant_drift
from riskctl.data.events import generate_events
from riskctl.data.generate import generate_history
from riskctl.data.io import table_format, write_table
from riskctl.data.output import check_output_file

app = typer.Typer(
    help="Synthetic history and table utilities.", no_args_is_help=True, rich_markup_mode="rich"
)


@app.command("generate")
def generate(
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="Table to write (.parquet, .csv or .ndjson).")
    ] = Path("history.parquet"),
    rows: Annotated[int, typer.Option("--rows", "-n", help="Number of orders.")] = 200_000,
    seed: SeedOpt = 7,
    days: Annotated[int, typer.Option("--days", help="Days of history.")] = 90,
    derived: Annotated[
        bool,
        typer.Option(
            "--derived",
            help="Write the generator's own point-in-time columns too (account age, device "
            "sharing, velocity, refund rate) instead of raw events only; --drift implies it.",
        ),
    ] = False,
    drift: Annotated[
        list[str] | None,
        typer.Option(
            "--drift",
            help="Plant drift from a day on (repeatable): KIND[=TARGET][:DAY] with KIND "
            "attack (a new attack pattern), shift (a feature shifting) or mix (a traffic-mix "
            "change), e.g. attack:60, shift=amount:45, mix=category=electronics:30.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write seeded synthetic raw e-commerce order events with realistic attack patterns.

    Ids, signup and event times, devices, IPs, amounts, categories, countries, payment and
    promotion. Brushing rings sharing devices, promo abuse by fresh accounts made on one
    device, stolen cards and account takeover live in the relations between rows: derive
    them with `riskctl features examples/features.yaml`. Labelled in `is_bad` and named in
    `attack` (for analysis; never train on it). Same seed, same bytes.

    [bold]Example:[/bold] riskctl data generate --rows 200000 --seed 7 --out events.parquet

    [bold]Example with drift:[/bold] riskctl data generate --drift attack:60 --out drifted.parquet
    """
    table_format(out_path)
    check_output_file(out_path)
    specs = [parse_drift(d) for d in drift or []]
    # drift shifts the generator's own derived columns, so it needs them
    make = generate_history if derived or specs else generate_events
    with err.status("Generating history"):
        df = plant_drift(make(rows=rows, seed=seed, days=days), specs, seed)
    write_table(df, out_path)
    counts = df.group_by("attack").len().sort("attack")
    bad_rate = float(df["is_bad"].cast(pl.Float64).sum()) / df.height
    summary = {
        "path": str(out_path),
        "rows": df.height,
        "bad_rate": bad_rate,
        "attacks": dict(counts.iter_rows()),
    }
    if as_json:
        print_json(summary)
        return
    out.print(f"Wrote {df.height:,} rows to [bold]{out_path}[/] (bad rate {100 * bad_rate:.2f}%)")
    for attack, n in counts.iter_rows():
        out.print(f"  {attack:<18} {n:>9,}")
