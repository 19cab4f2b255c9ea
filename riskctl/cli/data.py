"""`riskctl data ...`: synthetic history and profiles of real ones."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from riskctl.cli.console import err, out, print_json
from riskctl.cli.helptext import ReflowGroup
from riskctl.cli.options import JsonOpt, SeedOpt
from riskctl.data.io import table_format, write_table
from riskctl.data.output import check_output_file
from riskctl.data.profile import profile_table
from riskctl.errors import UsageError
from riskctl.escape import for_terminal
from riskctl.synth.drift import parse_drift, plant_drift
from riskctl.synth.events import generate_events
from riskctl.synth.generate import generate_history
from riskctl.synth.lockstep import check_plant_blocks, plant_lockstep
from riskctl.synth.production import derives_from_raw_events, production_history

app = typer.Typer(
    cls=ReflowGroup,
    help="Synthetic history and table utilities.",
    no_args_is_help=True,
    rich_markup_mode="rich",
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
    production: Annotated[
        Path | None,
        typer.Option(
            "--production",
            help="Write history as this strategy saw it in production: its decision "
            "(prod_action), a random control group let through (in_control, p_allow), no "
            "label on rows it stopped outside the control group; the full label stays in "
            "true_<label>, for evaluation only.",
        ),
    ] = None,
    control_rate: Annotated[
        float, typer.Option("--control-rate", help="With --production: share let through.")
    ] = 0.05,
    plant_blocks: Annotated[
        int,
        typer.Option(
            "--plant-blocks",
            metavar="N",
            help="Add N lockstep blocks (attack `lockstep`): 10-30 fresh accounts each "
            "ordering at the same 4-12 shops within hours of one day, camouflaged by orders "
            "at popular shops; what `riskctl discover` finds. Raw events only.",
        ),
    ] = 0,
    raw_events: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="With --drift: plant it in raw events (signup times, countries, amounts...), "
            "for a detector that derives its features with a features spec, such as the demo's.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write seeded synthetic raw e-commerce order events with realistic attack patterns.

    Ids, signup and event times, devices, IPs, amounts, categories, countries, payment and
    promotion. Brushing rings sharing devices, promo abuse by fresh accounts made on one
    device, stolen cards and account takeover live in the relations between rows: derive
    them with `riskctl features examples/features.yaml`. Labelled in `is_bad` and named in
    `attack` (for analysis; never train on it). Same seed, same bytes.

    With --production STRATEGY, the history is what production recorded: the strategy's
    decision per row, a random control group let through whatever the decision, and no
    label where it stopped a row outside the control group. Simulate on it with
    `history: {decision: prod_action, control: in_control, propensity: p_allow}`.

        [bold]Example:[/bold] riskctl data generate --rows 200000 --seed 7 --out events.parquet

    [bold]Example with drift:[/bold] riskctl data generate --drift attack:60 --out drifted.parquet

    [bold]Drift in raw events:[/bold] riskctl data generate --drift attack:60 --raw --out
    drifted_events.parquet

    [bold]Example:[/bold] riskctl data generate --production riskctl-demo/strategies/production.yaml
    --control-rate 0.05 --out production.parquet
    """
    table_format(out_path)
    check_output_file(out_path)
    check_plant_blocks(plant_blocks)
    if plant_blocks and (derived or drift or production is not None):
        raise UsageError(
            "--plant-blocks adds raw events only, without derived columns",
            hint="drop --derived, --drift and --production, or --plant-blocks",
        )
    specs = [parse_drift(d) for d in drift or []]
    if raw_events and (derived or not specs):
        raise UsageError("--raw goes with --drift, without --derived")
    # drift shifts the generator's own derived columns, so it needs them (--raw: raw events)
    wants_derived = derived or (bool(specs) and not raw_events)
    raw = production is None or derives_from_raw_events(production, wants_derived)
    make = generate_history if wants_derived or not raw else generate_events
    with err.status("Generating history"):
        df = plant_drift(make(rows=rows, seed=seed, days=days), specs, seed)
        df, _ = plant_lockstep(df, plant_blocks, seed)
    hidden = None
    if production is not None:
        df, hidden = production_history(df, production, control_rate, seed)
    write_table(df, out_path)
    counts = df.group_by("attack").len().sort("attack")
    truth = hidden.truth if hidden else "is_bad"
    bad_rate = float(df[truth].cast(pl.Float64).sum()) / df.height
    summary = {
        "path": str(out_path),
        "rows": df.height,
        "bad_rate": bad_rate,
        "attacks": dict(counts.iter_rows()),
        "production": asdict(hidden) if hidden else None,
    }
    if as_json:
        print_json(summary)
        return
    shown = for_terminal(out_path)
    out.print(f"Wrote {df.height:,} rows to [bold]{shown}[/] (bad rate {100 * bad_rate:.2f}%)")
    for attack, n in counts.iter_rows():
        out.print(f"  {for_terminal(attack):<18} {n:>9,}")
    if hidden:
        out.print(
            f"Production stopped {hidden.stopped:,} rows; {hidden.hidden:,} have no label "
            f"(control group: {hidden.control_rows:,} rows). Truth in "
            f"`{for_terminal(hidden.truth)}`: for evaluation only."
        )


@app.command("profile")
def profile(
    data: Annotated[Path, typer.Argument(help="Table to profile.", show_default=False)],
    label: Annotated[
        str | None, typer.Option("--label", help="Label column (default: inferred by name).")
    ] = None,
    time: Annotated[
        str | None, typer.Option("--time", help="Event-time column (default: inferred).")
    ] = None,
    bad: Annotated[
        str | None,
        typer.Option("--bad", help="The label value that means bad, for labels other than 0/1."),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", help="Period for label rates: day, week, month or 2w.")
    ] = "week",
    html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML page.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Profile a history: columns, types, inferred roles and why, missing and distinct
    counts, time span, label rate per period, unlabelled rows and label maturity.

    Reads CSV exports as they come (a byte-order mark, US dates, a truncated last line).

    [bold]Example:[/bold] riskctl data profile riskctl-demo/history.parquet --label is_bad --time
    event_time
    """
    if html is not None:
        check_output_file(html, "--html")
    prof = profile_table(data, label=label, time=time, bad=bad, period=period)
    if html is not None:
        # the report stack (altair) loads only when a report is asked for
        from riskctl.report.profile import write_profile_html

        write_profile_html(prof, html)
    if as_json:
        print_json(prof.to_dict())
        return
    out.print(f"[bold]{for_terminal(data)}[/]: {prof.rows:,} rows, {len(prof.columns)} columns")
    table = Table(box=None, pad_edge=False)
    for name in ("column", "type", "role", "why", "missing", "distinct"):
        table.add_column(name, justify="right" if name in ("missing", "distinct") else "left")
    for c in prof.columns:
        texts = [for_terminal(v) for v in (c.name, c.dtype, c.role, c.why)]
        table.add_row(*texts, f"{c.nulls:,}", f"{c.distinct:,}")
    out.print(table)
    for role, why in prof.inferred.items():
        out.print(for_terminal(f"{role}: {why}"))
    if prof.time_span:
        span = f"{prof.time_span['start']} to {prof.time_span['end']}"
        out.print(f"Time span: {for_terminal(span)}")
    if prof.label and prof.bad_rate is not None:
        out.print(
            f"Labelled rows: {prof.labelled_rows:,} ({prof.unlabelled_rows:,} unlabelled); "
            f"bad rate {100 * prof.bad_rate:.2f}%"
        )
    if prof.periods:
        per = Table(title=f"By period ({prof.period})", title_justify="left", box=None)
        for name in ("period", "rows", "labelled", "bad", "bad rate"):
            per.add_column(name, justify="left" if name == "period" else "right")
        for p in prof.periods:
            rate = "" if p["bad_rate"] is None else f"{100 * p['bad_rate']:.2f}%"
            per.add_row(
                for_terminal(p["period"] or "(no time)"),
                f"{p['rows']:,}",
                f"{100 * p['labelled_share']:.0f}%",
                f"{p['bad']:,}",
                rate,
            )
        out.print(per)
    if prof.maturity:
        out.print(f"Label maturity: {for_terminal(prof.maturity)}")
    for note in prof.notes:
        err.print(f"[yellow]note:[/] {for_terminal(note)}", soft_wrap=True)
    if html is not None:
        out.print(f"Wrote [bold]{for_terminal(html)}[/]")
