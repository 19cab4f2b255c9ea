"""The shipped example spec on generated raw events gives back, exactly, the point-in-time
columns the generator computes its own way (numpy, from the simulation's internals)."""

from __future__ import annotations

import polars as pl
import pytest

from riskctl.features import add_features
from riskctl.resources import examples_dir
from riskctl.synth.events import EVENT_SCHEMA, generate_events
from riskctl.synth.generate import generate_history

SHARED = [
    "accounts_per_device_7d",
    "buyer_orders_24h",
    "account_age_days",
    "country_mismatch",
    "device_new_for_buyer",
    "amount_vs_buyer_avg",
]


@pytest.fixture(scope="module")
def derived() -> tuple[pl.DataFrame, pl.DataFrame]:
    events = generate_events(rows=20_000, seed=5, days=40)
    assert events.schema == EVENT_SCHEMA
    out = add_features(events, examples_dir() / "features.yaml").frame
    return out, generate_history(rows=20_000, seed=5, days=40)


@pytest.mark.parametrize("column", SHARED)
def test_example_spec_reproduces_the_generators_columns(derived, column: str) -> None:
    out, history = derived
    got, want = out[column], history[column]
    if want.dtype == pl.Boolean:
        assert got.cast(pl.Boolean).equals(want)
    else:
        assert (got.cast(pl.Float64) - want.cast(pl.Float64)).abs().max() < 1e-3  # type: ignore[operator]


def test_relations_single_out_the_attacks(derived) -> None:
    out, _ = derived
    by = out.group_by("attack").agg(
        pl.col("seconds_since_signup").median(), pl.col("accounts_per_device_7d").mean()
    )
    med = {r["attack"]: r for r in by.to_dicts()}
    # promo farms make many accounts on one device; genuine buyers mostly do not share
    assert med["promo_abuse"]["accounts_per_device_7d"] > 3 * med["none"]["accounts_per_device_7d"]
    # promo abusers order minutes to hours after signup; genuine buyers months after
    assert med["promo_abuse"]["seconds_since_signup"] < 86_400 < med["none"]["seconds_since_signup"]


def test_example_spec_is_shipped() -> None:
    assert (examples_dir() / "features.yaml").is_file()
