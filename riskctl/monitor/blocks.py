"""The `monitoring: new_blocks:` limit: `riskctl discover` on the current rows, and whether
a new dense block appeared in them (the nightly "new attack" alarm)."""

from __future__ import annotations

import polars as pl

from riskctl.discover.run import Block, DiscoverOptions, discover_frame
from riskctl.errors import UsageError
from riskctl.monitor.thresholds import ThresholdResult
from riskctl.strategy.schema import NewBlocks


def new_blocks(
    limit: NewBlocks, current: pl.DataFrame, time: str | None, source: str
) -> list[Block]:
    """The blocks of the current rows' windows that are new (under half their accounts in
    a block one window before; every block of the first window is new), at or below the
    p-value limit, with enough accounts; most surprising first."""
    if time is None:
        raise UsageError(
            "monitoring: new_blocks needs a time column",
            hint="set `time:` in the strategy or pass --time",
        )
    opts = DiscoverOptions(
        accounts=limit.accounts,
        items=tuple(limit.items),
        time=time,
        window=limit.window,
        min_accounts=limit.min_accounts,
    )
    result = discover_frame(current, opts, source)
    return [
        b
        for b in result.blocks
        if b.new is not False
        and b.p_value <= limit.max_p_value
        and b.accounts >= limit.min_accounts
    ]


def new_blocks_result(limit: NewBlocks, blocks: list[Block]) -> ThresholdResult:
    if not blocks:
        message = f"no new dense block at p <= {limit.max_p_value:g}"
        return ThresholdResult("new_blocks", limit.max_p_value, None, True, message)
    b = blocks[0]
    message = (
        f"{len(blocks)} new dense block(s) in the window from {b.window_start:%Y-%m-%d %H:%M}, "
        f"the first {b.accounts} accounts on {b.items} entities at p = {b.p_value:.2g} "
        f"(limit {limit.max_p_value:g}); see `riskctl discover`"
    )
    return ThresholdResult("new_blocks", limit.max_p_value, b.p_value, False, message)
