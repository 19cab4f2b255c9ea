"""A block's adjacency as a picture, beside a random sample of the same size from its
window: accounts as rows, entities as columns, both ordered by degree inside the picture,
a filled cell where the account acted on the entity. A block shows as a solid rectangle;
the sample, as a few scattered dots."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.discover.graph import ACCOUNT, KIND, VALUE

MAX_ACCOUNTS, MAX_ITEMS = 60, 40  # the largest picture drawn (the densest part of a block)


@dataclass(frozen=True)
class Picture:
    accounts: int  # rows drawn
    items: int  # columns drawn
    block: list[tuple[int, int]]  # filled (row, column) cells of the block
    sample: list[tuple[int, int]]  # and of the random sample


def _cells(
    edges: pl.DataFrame, accounts: list[str], entities: pl.DataFrame
) -> list[tuple[int, int]]:
    """Filled cells among `accounts` x `entities`, rows and columns by degree (then name),
    cut to MAX_ACCOUNTS x MAX_ITEMS."""
    inside = edges.filter(pl.col(ACCOUNT).is_in(pl.Series(accounts).implode())).join(
        entities.select(KIND, VALUE), on=[KIND, VALUE], how="semi"
    )
    listed = pl.DataFrame({ACCOUNT: accounts}, schema={ACCOUNT: pl.String})
    rows = _ranked(inside, [ACCOUNT], listed, MAX_ACCOUNTS)
    cols = _ranked(inside, [KIND, VALUE], entities.select(KIND, VALUE), MAX_ITEMS)
    cells = inside.join(rows, on=ACCOUNT).join(cols, on=[KIND, VALUE])
    return sorted(zip(cells["_r_" + ACCOUNT].to_list(), cells["_r_" + KIND].to_list(), strict=True))


def _ranked(inside: pl.DataFrame, keys: list[str], every: pl.DataFrame, most: int) -> pl.DataFrame:
    """`every` key with its rank by degree in `inside` (then by name), the first `most`."""
    degree = inside.group_by(keys).agg(pl.len().alias("_d"))
    ranked = (
        every.join(degree, on=keys, how="left")
        .with_columns(pl.col("_d").fill_null(0))
        .sort([pl.col("_d"), *keys], descending=[True] + [False] * len(keys))
        .head(most)
        .with_row_index("_r_" + keys[0])
    )
    return ranked.select(keys + ["_r_" + keys[0]])


def picture(
    edges: pl.DataFrame, accounts: list[str], entities: pl.DataFrame, seed_text: str
) -> Picture:
    """The block's picture and a random sample's (as many accounts and entities of the
    window, drawn with a seed made from `seed_text`: the same block, the same sample)."""
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    every_account = edges[ACCOUNT].unique().sort()
    every_entity = edges.select(KIND, VALUE).unique().sort(KIND, VALUE)
    pick_a = rng.choice(len(every_account), min(len(accounts), len(every_account)), replace=False)
    pick_i = rng.choice(
        every_entity.height, min(entities.height, every_entity.height), replace=False
    )
    sample_accounts = every_account.gather(np.sort(pick_a)).to_list()
    sample_entities = every_entity[np.sort(pick_i)]
    return Picture(
        min(len(accounts), MAX_ACCOUNTS),
        min(entities.height, MAX_ITEMS),
        _cells(edges, accounts, entities),
        _cells(edges, sample_accounts, sample_entities),
    )
