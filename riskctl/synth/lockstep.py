"""Planted lockstep blocks (`riskctl data generate --plant-blocks N`): click farms and
brushing campaigns as the dense-block literature describes them (CopyCatch, FRAUDAR).

Each block is 10 to 30 fresh accounts that, within a few hours of one day, each order at
most of the same 4 to 12 shops (each account-shop pair with probability 0.9), from a device
of their own. To hide, every account also orders at two to four of the most popular shops
(camouflage). Rows are added to the history (copies of random rows with the block's
buyer, shop, device, time and ids), labelled `attack` = "lockstep" and `is_bad` = 1 but for
the usual share of missed labels.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.synth.world import MISSED_LABEL

LOCKSTEP = "lockstep"
MAX_BLOCKS = 1_000
NEEDED = ("order_id", "event_time", "buyer_id", "seller_id", "device_id", "attack", "is_bad")


def check_plant_blocks(blocks: int) -> None:
    if not 0 <= blocks <= MAX_BLOCKS:
        raise UsageError(
            f"--plant-blocks must be 0 to {MAX_BLOCKS:,}", hint=f"got {blocks}; e.g. 10"
        )


def plant_lockstep(
    df: pl.DataFrame, blocks: int, seed: int
) -> tuple[pl.DataFrame, list[list[str]]]:
    """`df` with `blocks` lockstep blocks added (sorted by event time), and each block's
    accounts. The same inputs give the same output."""
    check_plant_blocks(blocks)
    if blocks == 0:
        return df, []
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise UsageError(f"planting blocks needs the columns {', '.join(missing)}")
    rng = np.random.default_rng([seed, 27])
    popular = df["seller_id"].value_counts(sort=True)["seller_id"].head(10).to_list()
    sellers = df["seller_id"].unique().sort().to_list()
    first, last = df["event_time"].min(), df["event_time"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise UsageError("planting blocks needs event times")
    days = max(1, (last - first).days)
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    numbers = df["buyer_id"].cast(pl.String).str.extract(r"(\d+)$").cast(pl.Int64, strict=False)
    ids = rng.permutation(blocks * 30) + int(numbers.max() or 0) + 1  # type: ignore[arg-type]
    planted, truth, used = [], [], 0
    for b in range(blocks):
        size = int(rng.integers(10, 31))
        accounts = [f"b{n:07d}" for n in ids[used : used + size]]
        used += size
        shops = list(rng.choice(sellers, int(rng.integers(4, 13)), replace=False))
        day = start + timedelta(days=int(rng.integers(0, days)), hours=int(rng.integers(0, 18)))
        planted.append(_block_rows(df, rng, accounts, shops, popular, day, b))
        truth.append(accounts)
    extra = pl.concat(planted)
    out = pl.concat([df, extra.select(df.columns)]).sort("event_time", maintain_order=True)
    return out, truth


def _block_rows(
    df: pl.DataFrame,
    rng: np.random.Generator,
    accounts: list[str],
    shops: list[str],
    popular: list[str],
    day: datetime,
    b: int,
) -> pl.DataFrame:
    """The rows of one block: lockstep orders plus camouflage at popular shops."""
    buyer, seller = [], []
    for a in accounts:
        mine = [s for s in shops if rng.random() < 0.9]
        cover = list(rng.choice(popular, int(rng.integers(2, 5)), replace=False))
        buyer += [a] * (len(mine) + len(cover))
        seller += mine + cover
    n = len(buyer)
    template = df.sample(n, seed=int(rng.integers(0, 2**31)), with_replacement=True)
    offsets = np.sort(rng.integers(0, 4 * 3_600 * 1_000_000, n))
    times = pl.Series([day] * n).cast(pl.Datetime("us")) + pl.Series(offsets).cast(
        pl.Duration("us")
    )
    device = [f"d9{b:03d}{accounts.index(a):03d}x" for a in buyer]
    missed = rng.random(n) < MISSED_LABEL
    age = pl.Series(rng.integers(1, 60, len(accounts))[[accounts.index(a) for a in buyer]])
    rows = template.with_columns(
        pl.Series("order_id", [f"o9{b:04d}{i:05d}" for i in range(n)]),
        times.alias("event_time"),
        pl.Series("buyer_id", buyer),
        pl.Series("seller_id", seller),
        pl.Series("device_id", device),
        pl.lit(LOCKSTEP).alias("attack"),
        pl.Series("is_bad", (~missed).astype(np.int8)).cast(df.schema["is_bad"]),
    )
    if "signup_time" in rows.columns:  # fresh accounts, made days before the campaign
        signup = rows["event_time"] - age.cast(pl.Int64) * timedelta(days=1) - timedelta(hours=6)
        rows = rows.with_columns(signup.cast(rows.schema["signup_time"]).alias("signup_time"))
    if "category" in rows.columns:  # each shop keeps its own category
        shop = df.group_by("seller_id").agg(pl.col("category").first().alias("_c"))
        rows = rows.join(shop, on="seller_id", how="left", maintain_order="left")
        rows = rows.with_columns(pl.col("_c").alias("category")).drop("_c")
    return rows
