"""The synthetic history: shape, labels, determinism, point-in-time features, learnability."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.errors import UsageError
from riskctl.synth.generate import ATTACKS, RAW_ONLY, SCHEMA, _simulate, generate_history

ROWS = 20_000


@pytest.fixture(scope="module")
def full() -> pl.DataFrame:
    """The history plus the internal refund times, to check the refund-rate feature."""
    return _simulate(ROWS, 11, 60, datetime(2026, 6, 1))


@pytest.fixture(scope="module")
def hist(full: pl.DataFrame) -> pl.DataFrame:
    return full.drop("_refund_time", *RAW_ONLY)


def test_columns_dtypes_and_row_count(hist: pl.DataFrame) -> None:
    assert list(hist.schema.items()) == list(SCHEMA.items())
    assert hist.height == ROWS
    assert generate_history(rows=1_234, seed=3, days=5).height == 1_234
    assert hist["order_id"].n_unique() == ROWS
    assert hist["order_id"][0] == "o0000000"


def test_values_are_plausible(hist: pl.DataFrame) -> None:
    t = hist["event_time"]
    assert t.is_sorted() and t.n_unique() == ROWS  # strictly increasing
    assert t.min() >= datetime(2026, 6, 1) and t.max() < datetime(2026, 6, 1) + timedelta(60)
    assert hist["amount"].min() >= 1.0
    assert (
        (hist["amount"] * 100)
        .round(6)
        .cast(pl.Int64)
        .cast(pl.Float64)
        .equals((hist["amount"] * 100).round(6))
    )
    assert hist["account_age_days"].min() >= 0
    assert hist["seller_refund_rate_30d"].is_between(0, 1).all()
    assert hist["accounts_per_device_7d"].min() >= 1
    assert hist["buyer_orders_24h"].min() >= 0
    assert hist["ip"].str.contains(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$").all()
    assert hist["country"].str.len_chars().eq(2).all()
    assert set(hist["payment_method"]) == {"card", "wallet", "bank_transfer", "cod", "gift_card"}
    assert len(set(hist["category"])) == 8
    # there is a daily rhythm: evenings are much busier than the small hours
    by_hour = hist.group_by(pl.col("event_time").dt.hour()).len().sort("event_time")["len"]
    assert by_hour[20] > 5 * by_hour[4]


def test_labels_and_attack_patterns(hist: pl.DataFrame) -> None:
    assert 0.01 <= hist["is_bad"].mean() <= 0.05
    counts = dict(hist.group_by("attack").len().iter_rows())
    assert set(counts) == set(ATTACKS)
    assert all(counts[a] >= 30 for a in ATTACKS[1:])
    # label noise is documented: ~4% of attack rows unconfirmed, ~0.15% friendly fraud
    attack = hist["attack"] != "none"
    missed = (attack & (hist["is_bad"] == 0)).sum() / attack.sum()
    friendly = (~attack & (hist["is_bad"] == 1)).sum() / (~attack).sum()
    assert 0.0 < missed < 0.10
    assert 0.0 < friendly < 0.004
    # each pattern leaves its footprint, noisily (robust to which rings a small sample gets)
    feats = [
        "amount",
        "buyer_orders_24h",
        "accounts_per_device_7d",
        "seller_refund_rate_30d",
        "promo_used",
        "device_new_for_buyer",
        "country_mismatch",
        "amount_vs_buyer_avg",
    ]
    stats = hist.group_by("attack").agg(
        pl.col(feats).mean().name.suffix("_mean"),
        pl.col(feats).median().name.suffix("_median"),
        (pl.col("payment_method") == "card").mean().alias("card"),
    )
    m = {r["attack"]: r for r in stats.iter_rows(named=True)}
    brush, none = m["brushing"], m["none"]
    assert brush["amount_median"] < 0.6 * none["amount_median"]
    assert (
        max(
            brush[f"{c}_mean"] / none[f"{c}_mean"]
            for c in ("buyer_orders_24h", "accounts_per_device_7d", "seller_refund_rate_30d")
        )
        > 1.5
    )
    assert m["promo_abuse"]["promo_used_mean"] > 0.7 > 0.1 > none["promo_used_mean"]
    assert m["promo_abuse"]["device_new_for_buyer_mean"] > 2 * none["device_new_for_buyer_mean"]
    assert m["stolen_card"]["amount_median"] > 3 * none["amount_median"]
    assert m["stolen_card"]["card"] > 0.8
    assert (
        m["account_takeover"]["country_mismatch_mean"] > 0.4 > 0.1 > none["country_mismatch_mean"]
    )
    ato = (
        hist.group_by(pl.col("attack") == "account_takeover")
        .agg((pl.col("amount_vs_buyer_avg") > 2).mean().alias("big"))
        .sort("attack")["big"]
    )
    assert (
        m["account_takeover"]["amount_vs_buyer_avg_median"]
        > 1.5 * none["amount_vs_buyer_avg_median"]
    )
    assert ato[1] > 2 * ato[0]  # spending well above the account's habit
    # invariants of the patterns: promo abusers are at most a month old, takeover victims at
    # least half a year, and ring accounts never order from another country
    ages = hist.group_by("attack").agg(
        pl.col("account_age_days").min().alias("lo"), pl.col("account_age_days").max().alias("hi")
    )
    a = {r["attack"]: r for r in ages.iter_rows(named=True)}
    assert a["promo_abuse"]["hi"] <= 31 and a["account_takeover"]["lo"] >= 180
    assert not hist.filter(pl.col("attack") == "brushing")["country_mismatch"].any()


def test_attacks_come_in_bursts(hist: pl.DataFrame) -> None:
    daily = hist.group_by(pl.col("event_time").dt.date()).agg(pl.col("is_bad").mean())["is_bad"]
    assert daily.max() > 3 * daily.median()


def test_deterministic(tmp_path) -> None:
    a, b = generate_history(5_000, seed=5), generate_history(5_000, seed=5)
    assert a.equals(b)
    assert not a.equals(generate_history(5_000, seed=6))
    a.write_parquet(tmp_path / "a.parquet", statistics=False, compression="zstd")
    b.write_parquet(tmp_path / "b.parquet", statistics=False, compression="zstd")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    # another process, with other hash randomisation and one polars thread, writes the same bytes
    code = (
        "import sys; from riskctl.synth.generate import generate_history; generate_history("
        "5_000, seed=5).write_parquet(sys.argv[1], statistics=False, compression='zstd')"
    )
    env = os.environ | {
        "PYTHONHASHSEED": "12345",
        "POLARS_MAX_THREADS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "c.parquet")], env=env, check=True)
    assert (tmp_path / "c.parquet").read_bytes() == (tmp_path / "a.parquet").read_bytes()


def test_start_sets_the_window() -> None:
    df = generate_history(1_000, seed=1, days=3, start=datetime(2025, 12, 30, 12))
    assert df["event_time"].min() >= datetime(2025, 12, 30, 12)
    assert df["event_time"].max() < datetime(2026, 1, 2, 12)


def test_point_in_time_features_match_brute_force(full: pl.DataFrame) -> None:
    rng = np.random.default_rng(0)
    # half random rows, half attack rows (where the windows are crowded)
    picks = np.r_[
        rng.choice(ROWS, 40, replace=False),
        rng.choice(np.flatnonzero((full["attack"] != "none").to_numpy()), 40),
    ]
    for i in picks:
        row = full.row(int(i), named=True)
        t = row["event_time"]
        before = full.head(int(i))  # rows are sorted by strictly increasing time
        buyer = before.filter(pl.col("buyer_id") == row["buyer_id"])
        assert (
            row["buyer_orders_24h"]
            == buyer.filter(pl.col("event_time") >= t - timedelta(hours=24)).height
        )
        device = full.head(int(i) + 1).filter(
            pl.col("device_id") == row["device_id"], pl.col("event_time") > t - timedelta(days=7)
        )
        assert row["accounts_per_device_7d"] == device["buyer_id"].n_unique()
        assert row["device_new_for_buyer"] == (
            buyer.filter(pl.col("device_id") == row["device_id"]).height == 0
        )
        expected = row["amount"] / buyer["amount"].mean() if buyer.height else 1.0
        assert row["amount_vs_buyer_avg"] == pytest.approx(expected, abs=1e-4)
        seller = before.filter(
            pl.col("seller_id") == row["seller_id"], pl.col("event_time") >= t - timedelta(days=30)
        )
        refunded = seller.filter(pl.col("_refund_time") < t).height
        assert row["seller_refund_rate_30d"] == pytest.approx(
            refunded / max(seller.height, 1), abs=1e-4
        )


def test_refunds_are_never_known_before_they_happen(full: pl.DataFrame) -> None:
    delay = (full["_refund_time"] - full["event_time"]).drop_nulls()
    assert delay.min() >= timedelta(hours=2) and delay.max() <= timedelta(days=21)


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [({"rows": 10}, "--rows"), ({"days": 0}, "--days"), ({"seed": -1}, "--seed")],
)
def test_bad_arguments_raise_usage_error(kwargs: dict, flag: str) -> None:
    with pytest.raises(UsageError, match=flag) as err:
        generate_history(**kwargs)
    assert err.value.hint


def test_a_small_detector_can_learn_it_but_not_perfectly() -> None:
    xgb = pytest.importorskip("xgboost")
    metrics = pytest.importorskip("sklearn.metrics")
    # 50,000 rows: at 20,000 a pattern has too few rings or campaigns to learn from
    hist = generate_history(50_000, seed=7)
    numeric = [
        c for c, d in SCHEMA.items() if (d.is_numeric() or d == pl.Boolean()) and c != "is_bad"
    ]
    cut = int(hist.height * 0.7)  # train on the past, test on the future
    x = hist.select(pl.col(numeric).cast(pl.Float64)).to_numpy()
    y = hist["is_bad"].to_numpy()
    params = {
        "objective": "binary:logistic",
        "max_depth": 3,
        "min_child_weight": 5,
        "eta": 0.1,
        "nthread": 2,
        "seed": 0,
    }
    model = xgb.train(params, xgb.DMatrix(x[:cut], label=y[:cut]), num_boost_round=100)
    auc = metrics.roc_auc_score(y[cut:], model.predict(xgb.DMatrix(x[cut:])))
    assert 0.8 <= auc <= 0.995
