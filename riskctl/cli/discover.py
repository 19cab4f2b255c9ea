"""`riskctl discover`: dense blocks of accounts acting together, found without labels."""

from __future__ import annotations

import shlex
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from riskctl.cli.console import out, print_json, progress_bar
from riskctl.cli.options import JsonOpt, QuietOpt, SchedulerOpt, TimeoutOpt
from riskctl.data.io import table_format, write_table
from riskctl.data.output import check_not_input, check_output_file
from riskctl.discover.run import Block, DiscoverOptions, DiscoverResult
from riskctl.discover.run import discover as run_discover
from riskctl.distributed.cluster import cluster_options
from riskctl.escape import for_terminal


def discover(
    data: Annotated[
        Path,
        typer.Option("--data", "-d", help="Events: Parquet, CSV or NDJSON.", show_default=False),
    ],
    accounts: Annotated[
        str, typer.Option("--accounts", help="Account column (buyers, users).", show_default=False)
    ],
    items: Annotated[
        list[str],
        typer.Option(
            "--items",
            help="Entity column the accounts act on: items, sellers, devices, IPs "
            "(repeatable: several kinds share the entity side). `a+b` is one composite "
            "entity per combination of columns a and b.",
            show_default=False,
        ),
    ],
    time: Annotated[str, typer.Option("--time", help="Event-time column.", show_default=False)],
    window: Annotated[str, typer.Option("--window", help="Window length: 12h, 1d, 7d...")] = "1d",
    every: Annotated[
        str | None,
        typer.Option("--every", help="Step between windows (default: the window length)."),
    ] = None,
    min_accounts: Annotated[
        int, typer.Option("--min-accounts", help="Smallest block, in accounts.")
    ] = 5,
    top: Annotated[
        int, typer.Option("--top", help="Blocks to report, most surprising first.")
    ] = 20,
    strategy: Annotated[
        Path | None,
        typer.Option(
            "--strategy",
            "-s",
            help="Strategy (on scored data): each block's share it already stops, and the "
            "action of the draft rules.",
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="Label column (1 = bad): each block's bad rate."),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Table with one row per (block, account, item)."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="HTML page: each block's adjacency beside a random sample."),
    ] = None,
    scheduler: SchedulerOpt = None,
    timeout: TimeoutOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find groups of accounts acting on the same few entities in the same window, far more
    densely than chance allows: brushing rings, click farms, coordinated fake reviews.
    No labels needed.

    For each window (--window long, every --every), accounts and entities form a graph
    with an edge where an account acted on an entity. Dense blocks are peeled off with
    FRAUDAR's camouflage-resistant greedy peeling (an edge to an entity of degree d weighs
    1/log(d+5), so orders at popular shops do not hide a block). Of each peel's states the
    one with the smallest p-value is kept, cut to its surprising entities; its accounts are
    taken out and the peeling repeats. Rows with a missing account or entity take no part.

    Each block gets a p-value against a null model that keeps every account's and entity's
    degree (a Chernoff bound, union-bounded over every block of its size: conservative; a
    block in random data gets a p-value near 1), a q-value (Benjamini-Hochberg over all
    blocks found), its burst ratio (rows on its entities in this window against the
    previous one, +1 each), whether it is new (under half its accounts were in a block with
    p < 0.05 at the previous step), and a draft shadow rule on its entities, ready for
    `riskctl simulate`.

    The events are read window by window (only the columns named here), so memory follows
    one window's edges, not the table. With --scheduler the windows are peeled in parallel
    on the Dask cluster, whose workers read --data at the same path; the blocks are the same.

    [bold]Example:[/bold] riskctl discover --data riskctl-demo/events.parquet --accounts buyer_id
    --items seller_id --time event_time --window 1d --label is_bad --report blocks.html
    """
    cluster = cluster_options(scheduler, timeout)
    if out_path is not None:
        table_format(out_path)
        check_output_file(out_path, "--out")
    if report is not None:
        check_output_file(report, "--report")
        if out_path is not None:
            check_not_input(report, "--report", [out_path])
    opts = DiscoverOptions(
        accounts=accounts,
        items=tuple(items),
        time=time,
        window=window,
        every=every,
        min_accounts=min_accounts,
        top=top,
        strategy=strategy,
        label=label,
    )
    with progress_bar("Peeling dense blocks", quiet or as_json) as progress:
        if cluster is not None:
            from riskctl.distributed.discover import discover_on_cluster

            result = discover_on_cluster(data, opts, cluster, progress)
        else:
            result = run_discover(data, opts, progress=progress)
    if out_path is not None:
        write_table(result.members, out_path)
    if report is not None:
        from riskctl.report.discover import write_discover_report

        command = "riskctl " + shlex.join(sys.argv[1:])
        write_discover_report(result, report, command)
    if as_json:
        print_json(_as_json(result))
        return
    _print(result, out_path, report)


def _as_json(r: DiscoverResult) -> dict[str, Any]:
    return {
        "rows": r.rows,
        "used_rows": r.used_rows,
        "windows": r.windows,
        "blocks_found": r.found,
        "base_rate": r.base_rate,
        "blocks": [
            {k: v for k, v in asdict(b).items() if k != "picture"} | {"draft": _draft(b, r)}
            for b in r.blocks
        ],
    }


def _draft(b: Block, r: DiscoverResult) -> dict[str, str]:
    """The block's draft rule as a strategy's `rules:` entry."""
    return {
        "name": f"discovered_block_{b.block}",
        "when": b.draft_rule,
        "action": r.action,
        "mode": "shadow",
    }


def _p(value: float) -> str:
    return f"{value:.2f}" if value >= 0.01 else f"{value:.0e}"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _print(r: DiscoverResult, out_path: Path | None, report: Path | None) -> None:
    out.print(
        f"{r.found:,} blocks in {r.windows:,} window(s) of {r.used_rows:,} rows with an account "
        f"and an entity (of {r.rows:,})"
        + (f"; base bad rate {100 * r.base_rate:.2f}%" if r.base_rate is not None else "")
    )
    table = Table(box=None, pad_edge=False)
    names = ["block", "window", "accts", "items", "rows", "dens", "p", "q", "burst", "new"]
    stopped = any(b.share_stopped is not None for b in r.blocks)
    names += ["stop%"] * stopped + ["bad%"] * (r.base_rate is not None)
    for name in names:
        table.add_column(name, justify="left" if name in ("window", "new") else "right")
    days = all(b.window_start.hour == b.window_start.minute == 0 for b in r.blocks)
    for b in r.blocks:
        cells = [
            str(b.block),
            f"{b.window_start:%Y-%m-%d}" if days else f"{b.window_start:%Y-%m-%d %H:%M}",
            f"{b.accounts:,}",
            f"{b.items:,}",
            f"{b.rows:,}",
            f"{b.density:.2f}",
            _p(b.p_value),
            _p(b.q_value),
            _fmt(b.burst_ratio, ".1f"),
            "-" if b.new is None else ("yes" if b.new else "no"),
        ]
        if stopped:
            cells.append(_fmt(None if b.share_stopped is None else 100 * b.share_stopped, ".1f"))
        if r.base_rate is not None:
            cells.append(_fmt(None if b.bad_rate is None else 100 * b.bad_rate, ".1f"))
        table.add_row(*cells)
    out.print(table)
    for b in r.blocks[:3]:
        rule = for_terminal(b.draft_rule)
        shown = rule if len(rule) <= 200 else rule[:200] + "..."
        out.print(f"block {b.block} draft rule ({r.action}, shadow): {shown}", soft_wrap=True)
    for path, what in ((out_path, "members"), (report, "report")):
        if path is not None:
            out.print(f"Wrote {what} to [bold]{for_terminal(path)}[/]")
