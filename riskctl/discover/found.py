"""The blocks of one window before ranking, and their novelty against the window before."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from riskctl.discover.peel import Peeled
from riskctl.discover.windows import Window


@dataclass(frozen=True)
class Found:
    """A block of one window before ranking: its peel, p-value, accounts and entities, and
    whether it is new (None until `with_novelty`, and for the first window)."""

    window: Window
    peeled: Peeled
    p_value: float
    account_ids: list[str]
    entities: pl.DataFrame  # kind, value
    new: bool | None = None


ALPHA = 0.05  # a block counts as seen, for the next step's novelty, below this p-value


def with_novelty(per_window: list[list[Found]]) -> list[Found]:
    """Every window's blocks (in window order), each marked new when under half its
    accounts were in a block with p < ALPHA in the window before."""
    found: list[Found] = []
    previous: set[str] | None = None
    for blocks in per_window:
        for b in blocks:
            new = (
                None
                if previous is None
                else len(previous.intersection(b.account_ids)) * 2 < len(b.account_ids)
            )
            found.append(replace(b, new=new))
        previous = {a for b in blocks if b.p_value < ALPHA for a in b.account_ids}
    return found
