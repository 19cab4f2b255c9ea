"""Synthetic raw events: what an order export holds before any feature engineering.

The same simulated history as `generate_history` (same seed, same orders), reduced to the
raw facts: ids, signup and event times, device, IP, amount, category, countries, payment,
promotion, labels. The attack patterns live in the relations between rows - rings of
accounts sharing devices, bursts of orders from one IP or device, fresh accounts cashing
the welcome promotion minutes after signup - so they show only once features relate rows
(`riskctl features` with `examples/features.yaml`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from riskctl.synth.generate import _simulate

__all__ = ["EVENT_SCHEMA", "generate_events"]

EVENT_SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "event_time": pl.Datetime("us"),
        "signup_time": pl.Datetime("us"),
        "buyer_id": pl.String(),
        "seller_id": pl.String(),
        "device_id": pl.String(),
        "ip": pl.String(),
        "amount": pl.Float64(),
        "category": pl.String(),
        "country": pl.String(),
        "home_country": pl.String(),
        "payment_method": pl.String(),
        "promo_used": pl.Boolean(),
        "attack": pl.String(),
        "is_bad": pl.Int8(),
    }
)


def generate_events(
    rows: int = 200_000, seed: int = 7, days: int = 90, start: datetime = datetime(2026, 6, 1)
) -> pl.DataFrame:
    """Raw labelled order events; the same arguments give the same table (see
    `generate_history` for the patterns and the argument checks)."""
    return _simulate(rows, seed, days, start).select(
        pl.col(n).cast(d) for n, d in EVENT_SCHEMA.items()
    )
