"""Drift planted in a generated history, so monitoring can be tested against a known truth.

A drift is written ``KIND[=TARGET][:DAY]`` and changes only rows from ``DAY`` (days after the
first row's date; default: the middle of the history) on:

``attack[=SHARE]``
    A new attack pattern: a share of the rows (default 0.02) become gift-card cash-out orders
    paid by wallet from brand-new accounts abroad (``attack`` = "gift_card_cashout", labelled
    bad). Category, payment method, country, account age and amounts move with it.
``shift[=COLUMN]``
    A feature shifting (a pipeline change upstream): a numeric column (default
    ``seller_refund_rate_30d``) gains one standard deviation of its earlier values.
``mix[=COLUMN=VALUE]``
    A traffic-mix change: rows whose COLUMN equals VALUE (default ``category=electronics``)
    all stay, other rows are thinned to 40%, so the segment's share grows while every
    segment's own rates stay what they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from riskctl.errors import UsageError

KINDS = ("attack", "shift", "mix")
NEW_ATTACK = "gift_card_cashout"
MIX_KEEP = 0.4
HINT = "write KIND[=TARGET][:DAY], e.g. attack:45, shift=amount:30, mix=category=electronics"


@dataclass(frozen=True)
class DriftSpec:
    kind: str
    target: str | None = None
    day: int | None = None

    def __str__(self) -> str:
        target = f"={self.target}" if self.target else ""
        day = f":{self.day}" if self.day is not None else ""
        return f"{self.kind}{target}{day}"


def parse_drift(text: str) -> DriftSpec:
    body, day = text.strip(), None
    head, sep, tail = body.rpartition(":")
    if sep:
        if not tail.isdigit():
            raise UsageError(f"--drift {text!r}: the day after ':' must be a whole number", HINT)
        body, day = head, int(tail)
    kind, _, target = body.partition("=")
    if kind not in KINDS:
        raise UsageError(f"--drift {text!r}: unknown kind {kind!r}", HINT)
    if kind == "mix" and target and "=" not in target:
        raise UsageError(f"--drift {text!r}: mix needs COLUMN=VALUE", HINT)
    return DriftSpec(kind, target or None, day)


def plant_drift(
    df: pl.DataFrame, specs: list[DriftSpec], seed: int = 0, time: str = "event_time"
) -> pl.DataFrame:
    """`df` with each drift applied in turn (same inputs and seed, same output)."""
    if not specs or df.height == 0:
        return df
    if time not in df.columns or not df.schema[time].is_temporal():
        raise UsageError(f"planting drift needs a date or time column '{time}'")
    rng = np.random.default_rng([seed, 17])
    first, last = df[time].min(), df[time].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise UsageError(f"planting drift needs a date-time column '{time}'")
    span = (last - first).days + 1
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    for spec in specs:
        day = spec.day if spec.day is not None else span // 2
        if not 0 <= day < span:
            raise UsageError(
                f"--drift {spec.kind}:{day}: the history covers days 0 to {span - 1}",
                hint=f"pick a day inside it, e.g. {spec.kind}:{span // 2}",
            )
        after = (df[time] >= start + timedelta(days=day)).to_numpy()
        if spec.kind == "attack":
            df = _attack(df, after, spec, rng)
        elif spec.kind == "shift":
            df = _shift(df, after, spec)
        else:
            df = _mix(df, after, spec, rng)
    return df


def _attack(df: pl.DataFrame, after: np.ndarray, spec: DriftSpec, rng: np.random.Generator):
    try:
        share = float(spec.target) if spec.target else 0.02
    except ValueError:
        raise UsageError(f"--drift {spec}: attack's target is a share of rows", HINT) from None
    if not 0 < share <= 1:
        raise UsageError(f"--drift {spec}: the share must be in (0, 1]", HINT)
    hit = after & (rng.random(df.height) < share)
    n = int(hit.sum())
    values = {
        "category": np.full(n, "gift_cards"),
        "payment_method": np.full(n, "wallet"),
        "country": rng.choice(["VN", "NG", "RO"], n),
        "amount": rng.choice([200.0, 250.0, 500.0], n),
        "account_age_days": rng.integers(0, 3, n),
        "promo_used": np.zeros(n, dtype=bool),
        "device_new_for_buyer": np.ones(n, dtype=bool),
        "country_mismatch": np.ones(n, dtype=bool),
        "buyer_orders_24h": rng.integers(0, 2, n),
        "amount_vs_buyer_avg": np.ones(n),
        "attack": np.full(n, NEW_ATTACK),
        "is_bad": np.ones(n, dtype=np.int64),
    }
    if "signup_time" in df.columns:  # raw events: the same pattern in the raw facts
        age = pl.Series(rng.integers(0, 3 * 86_400_000_000, n), dtype=pl.Duration("us"))
        values["signup_time"] = (df["event_time"].gather(np.flatnonzero(hit)) - age).to_numpy()
        values["home_country"] = np.full(n, "US")
    idx = np.flatnonzero(hit)
    cols = []
    for name, new in values.items():
        if name not in df.columns:
            continue
        full = pl.Series(name, new).cast(df.schema[name])
        column = df[name].scatter(idx, full) if n else df[name]
        cols.append(column)
    return df.with_columns(cols)


def _shift(df: pl.DataFrame, after: np.ndarray, spec: DriftSpec) -> pl.DataFrame:
    column = spec.target or "seller_refund_rate_30d"
    if column not in df.columns:
        raise UsageError(f"--drift {spec}: no column '{column}'", HINT)
    if not df.schema[column].is_numeric():
        raise UsageError(f"--drift {spec}: '{column}' is {df.schema[column]}, not a number")
    mask = pl.Series(after)
    before = df[column].filter(~mask).cast(pl.Float64)
    step = before.std() if before.len() > 1 else None
    step = float(step) if isinstance(step, float) and step > 0 else 1.0
    dtype = df.schema[column]
    if dtype.is_integer():
        step = max(round(step), 1)
    shifted = pl.when(mask).then(pl.col(column) + step).otherwise(pl.col(column))
    return df.with_columns(shifted.cast(dtype).alias(column))


def _mix(df: pl.DataFrame, after: np.ndarray, spec: DriftSpec, rng: np.random.Generator):
    column, _, value = (spec.target or "category=electronics").partition("=")
    if column not in df.columns:
        raise UsageError(f"--drift {spec}: no column '{column}'", HINT)
    target = (df[column].cast(pl.String) == value).fill_null(False).to_numpy()
    if not target.any():
        raise UsageError(f"--drift {spec}: no row has {column} = {value!r}")
    drop = after & ~target & (rng.random(df.height) >= MIX_KEEP)
    return df.filter(pl.Series(~drop))
