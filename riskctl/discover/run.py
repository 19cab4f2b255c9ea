"""`riskctl discover`: dense, surprising blocks of accounts acting together on the same
entities, window by window, ranked, with what each means for a strategy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.memory import check_fits
from riskctl.discover.events import (
    Source,
    base_rate,
    check_time_column,
    details_frame,
    graph_columns,
    in_window,
    labelled,
    read_once,
    scan_events,
    used_events,
    window_rows,
)
from riskctl.discover.found import Found, with_novelty
from riskctl.discover.graph import (
    ACCOUNT,
    KIND,
    ROWS,
    VALUE,
    EntityKind,
    account_value,
    build_graph,
    check_graph_columns,
    edge_rows,
    entity_kinds,
    entity_value,
)
from riskctl.discover.null import assess, benjamini_hochberg
from riskctl.discover.peel import peel_blocks
from riskctl.discover.pictures import Picture, picture
from riskctl.discover.strategy import (
    draft_condition,
    meaning,
    strategy_action,
    with_decisions,
)
from riskctl.discover.windows import Window, parse_span, plan_windows
from riskctl.errors import DataError, UsageError

# peak memory of one window's work, in copies of its rows' graph columns (edges, the graph's
# index arrays, the peeling's heaps)
WINDOW_COPIES = 6


@dataclass(frozen=True)
class DiscoverOptions:
    accounts: str
    items: tuple[str, ...]
    time: str
    window: str = "1d"
    every: str | None = None
    min_accounts: int = 5
    top: int = 20
    strategy: Path | None = None
    label: str | None = None


@dataclass(frozen=True)
class Block:
    block: int
    window_start: datetime
    window_end: datetime
    accounts: int
    items: int
    rows: int
    edges: int
    density: float
    p_value: float
    q_value: float
    burst_ratio: float | None
    new: bool | None
    share_stopped: float | None
    bad_rate: float | None
    unlabelled: int | None
    draft_rule: str
    account_ids: list[str] = field(repr=False)
    entities: list[tuple[str, str]] = field(repr=False)
    picture: Picture = field(repr=False)


@dataclass(frozen=True)
class DiscoverResult:
    blocks: list[Block]
    members: pl.DataFrame  # block, window_start, account, kind, item, rows
    rows: int
    used_rows: int
    windows: int
    base_rate: float | None
    action: str
    found: int  # blocks found in every window, before keeping the top ones


Progress = Callable[[int, int], None]
Mapper = Callable[[Callable[..., "list[Found]"], list[tuple[Any, ...]]], "list[list[Found]]"]


def _check_columns(columns: list[str], opts: DiscoverOptions) -> None:
    check_graph_columns(columns, opts.accounts, entity_kinds(opts.items), opts.time)
    if opts.label is not None:
        from riskctl.data.io import check_named_columns

        check_named_columns("--label", [opts.label], columns)


def discover(
    path: Path | str,
    opts: DiscoverOptions,
    mapper: Mapper | None = None,
    progress: Progress | None = None,
) -> DiscoverResult:
    """Every window's blocks, p-values corrected across all of them, the top ones kept.
    The table is read window by window, never whole. `mapper(fn, calls)` runs `fn(*call)`
    for every call and returns the results in order (e.g. on a cluster); by default here,
    calling `progress(done, total)` after each window."""
    if mapper is not None:  # the workers read the file themselves
        return discover_source(Path(path), opts, str(path), mapper, progress)
    with read_once(Path(path)) as lf:
        return discover_source(lf, opts, str(path), None, progress)


def discover_frame(df: pl.DataFrame, opts: DiscoverOptions, source: str) -> DiscoverResult:
    """`discover` on a table in memory (`source` names it in messages)."""
    return discover_source(df, opts, source)


def discover_source(
    src: Source,
    opts: DiscoverOptions,
    name: str,
    mapper: Mapper | None = None,
    progress: Progress | None = None,
) -> DiscoverResult:
    window = parse_span(opts.window, "--window")
    every = parse_span(opts.every, "--every") if opts.every else window
    _check_counts(opts)
    lf = scan_events(src)
    schema = lf.collect_schema()
    _check_columns(schema.names(), opts)
    check_time_column(schema, opts.time)
    if opts.strategy is not None:
        with_decisions(lf, opts.strategy)  # a strategy that does not fit fails here
    kinds = entity_kinds(opts.items)
    used = used_events(
        lf.select(graph_columns(opts.accounts, kinds, opts.time)), opts.accounts, kinds, opts.time
    )
    t = pl.col(opts.time)
    n_used, first, last = (
        used.select(pl.len(), t.min().alias("_first"), t.max().alias("_last"))
        .collect(engine="streaming")
        .row(0)
    )
    if n_used == 0:
        raise DataError(
            f"{name}: no row has both an account ('{opts.accounts}') and an entity "
            f"({', '.join(k.name for k in kinds)})",
            hint="check --accounts and --items; rows with a missing value take no part",
        )
    plan = plan_windows(first, last, window, every)
    task_src = lf if mapper is None else src  # a cluster's workers read the file themselves
    calls: list[tuple[Any, ...]] = [(task_src, w, opts, name) for w in plan]
    per_window = mapper(window_blocks, calls) if mapper else _here(calls, progress)
    found = with_novelty(per_window)
    n_rows = int(lf.select(pl.len()).collect(engine="streaming").item())
    counts = _Counts(n_rows, int(n_used), len(plan), _anchor(first))
    details = _details_frame(lf, opts)
    base = (
        None if opts.label is None else base_rate(details, opts.time, opts.label, plan, every, name)
    )
    return _ranked(found, details, opts, name, counts, base)


def _here(calls: list[tuple[Any, ...]], progress: Progress | None) -> list[list[Found]]:
    per_window = []
    for call in calls:
        per_window.append(window_blocks(*call))
        if progress is not None:
            progress(len(per_window), len(calls))
    return per_window


@dataclass(frozen=True)
class _Counts:
    rows: int
    used: int
    windows: int
    first: datetime  # midnight of the first used row's day


def _details_frame(src: Source, opts: DiscoverOptions) -> pl.LazyFrame:
    kinds = entity_kinds(opts.items)
    return details_frame(src, opts.accounts, kinds, opts.time, opts.strategy, opts.label)


def _check_counts(opts: DiscoverOptions) -> None:
    for flag, value, low in (
        ("--min-accounts", opts.min_accounts, 1),
        ("--top", opts.top, 1),
    ):
        if value < low:
            raise UsageError(f"{flag} must be at least {low}", hint=f"got {value}")


def peels_per_window(top: int) -> int:
    """How many blocks each window's peeling takes out: more than --top, so that the
    blocks beside a large but unsurprising core of busy accounts are reached."""
    return 2 * top + 10


def window_blocks(src: Source, w: Window, opts: DiscoverOptions, name: str) -> list[Found]:
    """The blocks of one window with their p-values: only the window's rows of the graph's
    columns are read, and only its edges are held."""
    kinds = entity_kinds(opts.items)
    lf = scan_events(src).select(graph_columns(opts.accounts, kinds, opts.time))
    rows = used_events(lf, opts.accounts, kinds, opts.time).filter(in_window(opts.time, w))
    check_fits(rows, f"{name} (window from {w.start:%Y-%m-%d %H:%M})", WINDOW_COPIES)
    edges = edge_rows(rows, opts.accounts, kinds).collect()
    if edges.height == 0:
        return []
    g = build_graph(edges)
    peels = peels_per_window(opts.top)
    peeled = peel_blocks(g.ea, g.ei, g.n_acct, g.n_item, opts.min_accounts, peels)
    return [
        Found(w, p, pv, g.accounts.gather(p.accounts).to_list(), g.entities[p.items])
        for p, pv in assess(g.ea, g.ei, g.n_acct, g.n_item, peeled)
    ]


@dataclass(frozen=True)
class _Details:
    rows: pl.DataFrame
    burst: float | None
    members: pl.DataFrame  # account, kind, value, rows
    picture: Picture


def _details(
    f: Found,
    lf: pl.LazyFrame,
    kinds: list[EntityKind],
    opts: DiscoverOptions,
    name: str,
    first: datetime,
) -> _Details:
    """A block's rows, burst ratio (None when the previous window is before the data),
    (account, kind, value, rows) edges and picture."""
    rows = labelled(window_rows(lf, opts.time, f.window, name), opts.label, name)
    on_entity = _on_entities(f.entities, kinds)
    inside = account_value(opts.accounts).is_in(pl.Series(f.account_ids).implode()) & on_entity
    block_rows = rows.filter(inside)
    burst = None
    if f.window.previous.start >= first:
        before = lf.filter(in_window(opts.time, f.window.previous) & on_entity)
        n_before = before.select(pl.len()).collect(engine="streaming").item()
        burst = (rows.filter(on_entity).height + 1) / (n_before + 1)
    members = (
        edge_rows(block_rows.lazy(), opts.accounts, kinds)
        .collect()
        .join(f.entities, on=[KIND, VALUE], how="semi")
        .sort(ACCOUNT, KIND, VALUE)
    )
    window_edges = edge_rows(rows.lazy(), opts.accounts, kinds).collect()
    seed = f"{f.window.start.isoformat()} {f.account_ids[0]}"
    return _Details(
        block_rows, burst, members, picture(window_edges, f.account_ids, f.entities, seed)
    )


def _on_entities(entities: pl.DataFrame, kinds: list[EntityKind]) -> pl.Expr:
    """Rows acting on one of `entities` (kind, value)."""
    expr = pl.lit(False)
    for kind in kinds:
        values = entities.filter(pl.col(KIND) == kind.name)[VALUE]
        if values.len():
            expr = expr | entity_value(kind).is_in(values.implode()).fill_null(False)
    return expr


def _ranked(
    found: list[Found],
    lf: pl.LazyFrame,
    opts: DiscoverOptions,
    name: str,
    counts: _Counts,
    base: float | None,
) -> DiscoverResult:
    """Blocks ranked by p-value (then density), q-values over all of them, the top kept."""
    q = benjamini_hochberg(np.array([f.p_value for f in found]))
    order = sorted(
        range(len(found)),
        key=lambda i: (
            found[i].p_value,
            -found[i].peeled.density,
            found[i].window.start,
            found[i].account_ids[0],
        ),
    )[: opts.top]
    kinds = entity_kinds(opts.items)
    action = strategy_action(opts.strategy)
    blocks, members = [], []
    for rank, i in enumerate(order, start=1):
        f = found[i]
        d = _details(f, lf, kinds, opts, name, counts.first)
        blocks.append(_block(rank, f, float(q[i]), kinds, d))
        members.append(
            d.members.select(
                pl.lit(rank).alias("block"),
                pl.lit(f.window.start).alias("window_start"),
                ACCOUNT,
                KIND,
                pl.col(VALUE).alias("item"),
                ROWS,
            )
        )
    table = pl.concat(members) if members else _empty_members()
    return DiscoverResult(
        blocks, table, counts.rows, counts.used, counts.windows, base, action, len(found)
    )


def _anchor(first: datetime) -> datetime:
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def _block(
    rank: int,
    f: Found,
    q: float,
    kinds: list[EntityKind],
    d: _Details,
) -> Block:
    rows = d.rows
    m = meaning(rows)
    values: dict[str, set[str]] = {}
    for kind, value in f.entities.iter_rows():
        values.setdefault(kind, set()).add(value)
    return Block(
        block=rank,
        window_start=f.window.start,
        window_end=f.window.end,
        accounts=len(f.account_ids),
        items=f.entities.height,
        rows=rows.height,
        edges=f.peeled.edges,
        density=f.peeled.density,
        p_value=f.p_value,
        q_value=q,
        burst_ratio=d.burst,
        new=f.new,
        share_stopped=m.share_stopped,
        bad_rate=m.bad_rate,
        unlabelled=m.unlabelled,
        draft_rule=draft_condition(rows, kinds, values),
        account_ids=f.account_ids,
        entities=list(f.entities.iter_rows()),
        picture=d.picture,
    )


def _empty_members() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "block": pl.Int32,
            "window_start": pl.Datetime("us"),
            ACCOUNT: pl.String,
            KIND: pl.String,
            "item": pl.String,
            ROWS: pl.UInt32,
        }
    )
