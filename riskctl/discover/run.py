"""`riskctl discover`: dense, surprising blocks of accounts acting together on the same
entities, window by window, ranked, with what each means for a strategy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import read_table, scan_table
from riskctl.data.values import read_labels
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
from riskctl.discover.peel import Peeled, peel_blocks
from riskctl.discover.pictures import Picture, picture
from riskctl.discover.strategy import (
    LABEL,
    draft_condition,
    mean_of,
    meaning,
    strategy_action,
    with_decisions,
)
from riskctl.discover.windows import Window, parse_span, plan_windows
from riskctl.errors import DataError, UsageError


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


def load_events(path: Path, opts: DiscoverOptions) -> pl.DataFrame:
    """The events table, once its columns are known to hold what `opts` names."""
    columns = scan_table(path).collect_schema().names()
    _check_columns(columns, opts)
    return read_table(path)


def _check_columns(columns: list[str], opts: DiscoverOptions) -> None:
    check_graph_columns(columns, opts.accounts, entity_kinds(opts.items), opts.time)
    if opts.label is not None:
        from riskctl.data.io import check_named_columns

        check_named_columns("--label", [opts.label], columns)


def _prepared(df: pl.DataFrame, opts: DiscoverOptions, source: str) -> pl.DataFrame:
    """The events sorted by time with a Datetime time column, rows without a time dropped;
    with the strategy's decisions and the coded label when asked for."""
    dtype = df.schema[opts.time]
    if not dtype.is_temporal() or dtype == pl.Time or isinstance(dtype, pl.Duration):
        raise UsageError(
            f"--time {opts.time}: the column holds {dtype}, not dates or times",
            hint="pass the event-time column",
        )
    if opts.strategy is not None:
        df = with_decisions(df, opts.strategy)
    if opts.label is not None:
        df = df.with_columns(read_labels(df, opts.label, source).alias(LABEL))
    df = df.with_columns(pl.col(opts.time).cast(pl.Datetime("us")))
    return df.filter(pl.col(opts.time).is_not_null()).sort(opts.time)


def discover(path: Path | str, opts: DiscoverOptions) -> DiscoverResult:
    """Every window's blocks, p-values corrected across all of them, the top ones kept."""
    path = Path(path)
    parse_span(opts.window, "--window")
    if opts.every:
        parse_span(opts.every, "--every")
    _check_counts(opts)
    return discover_frame(load_events(path, opts), opts, str(path))


def discover_frame(df: pl.DataFrame, opts: DiscoverOptions, source: str) -> DiscoverResult:
    """`discover` on a table in memory (`source` names it in messages)."""
    window = parse_span(opts.window, "--window")
    every = parse_span(opts.every, "--every") if opts.every else window
    _check_counts(opts)
    _check_columns(df.columns, opts)
    kinds = entity_kinds(opts.items)
    df = _prepared(df, opts, source)
    used = df.filter(_has_entity(opts.accounts, kinds))
    if used.height == 0:
        raise DataError(
            f"{source}: no row has both an account ('{opts.accounts}') and an entity "
            f"({', '.join(k.name for k in kinds)})",
            hint="check --accounts and --items; rows with a missing value take no part",
        )
    times = used[opts.time]
    plan = plan_windows(times.min(), times.max(), window, every)  # type: ignore[arg-type]
    found: list[_Found] = []
    previous: set[str] | None = None
    for w in plan:
        blocks = _window_blocks(used, w, kinds, opts, previous)
        found += blocks
        previous = {a for b in blocks if b.p_value < ALPHA for a in b.account_ids}
    return _ranked(found, used, opts, df.height, len(plan))


def _check_counts(opts: DiscoverOptions) -> None:
    for flag, value, low in (
        ("--min-accounts", opts.min_accounts, 1),
        ("--top", opts.top, 1),
    ):
        if value < low:
            raise UsageError(f"{flag} must be at least {low}", hint=f"got {value}")


def _has_entity(accounts: str, kinds: list[EntityKind]) -> pl.Expr:
    some = pl.any_horizontal([entity_value(k).is_not_null() for k in kinds])
    return account_value(accounts).is_not_null() & some


def _rows_in(df: pl.DataFrame, time: str, w: Window) -> pl.DataFrame:
    t = df[time]
    lo, hi = t.search_sorted(w.start, "left"), t.search_sorted(w.end, "left")
    return df.slice(lo, hi - lo)


@dataclass(frozen=True)
class _Found:
    window: Window
    peeled: Peeled
    p_value: float
    account_ids: list[str]
    entities: pl.DataFrame  # kind, value
    new: bool | None


ALPHA = 0.05  # a block counts as seen, for the next step's novelty, below this p-value


def peels_per_window(top: int) -> int:
    """How many blocks each window's peeling takes out: more than --top, so that the
    blocks beside a large but unsurprising core of busy accounts are reached."""
    return 2 * top + 10


def _window_blocks(
    df: pl.DataFrame,
    w: Window,
    kinds: list[EntityKind],
    opts: DiscoverOptions,
    previous: set[str] | None,
) -> list[_Found]:
    """The blocks of one window with their p-values and novelty."""
    rows = _rows_in(df, opts.time, w)
    edges = edge_rows(rows.lazy(), opts.accounts, kinds).collect()
    if edges.height == 0:
        return []
    g = build_graph(edges)
    peels = peels_per_window(opts.top)
    peeled = peel_blocks(g.ea, g.ei, g.n_acct, g.n_item, opts.min_accounts, peels)
    found = []
    for p, pv in assess(g.ea, g.ei, g.n_acct, g.n_item, peeled):
        ids = g.accounts.gather(p.accounts).to_list()
        new = None if previous is None else len(previous.intersection(ids)) * 2 < len(ids)
        found.append(_Found(w, p, pv, ids, g.entities[p.items], new))
    return found


@dataclass(frozen=True)
class _Details:
    rows: pl.DataFrame
    burst: float | None
    members: pl.DataFrame  # account, kind, value, rows
    picture: Picture


def _details(
    f: _Found, df: pl.DataFrame, kinds: list[EntityKind], opts: DiscoverOptions, first: datetime
) -> _Details:
    """A block's rows, burst ratio (None when the previous window is before the data),
    (account, kind, value, rows) edges and picture."""
    rows = _rows_in(df, opts.time, f.window)
    on_entity = _on_entities(f.entities, kinds)
    inside = account_value(opts.accounts).is_in(pl.Series(f.account_ids).implode()) & on_entity
    block_rows = rows.filter(inside)
    burst = None
    if f.window.previous.start >= first:
        before = _rows_in(df, opts.time, f.window.previous)
        burst = (rows.filter(on_entity).height + 1) / (before.filter(on_entity).height + 1)
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
    found: list[_Found], used: pl.DataFrame, opts: DiscoverOptions, n_rows: int, n_windows: int
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
    first = _anchor(used[opts.time].min())  # type: ignore[arg-type]
    for rank, i in enumerate(order, start=1):
        f = found[i]
        d = _details(f, used, kinds, opts, first)
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
    base = mean_of(used[LABEL]) if LABEL in used.columns else None
    table = pl.concat(members) if members else _empty_members()
    return DiscoverResult(blocks, table, n_rows, used.height, n_windows, base, action, len(found))


def _anchor(first: datetime) -> datetime:
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


def _block(
    rank: int,
    f: _Found,
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
