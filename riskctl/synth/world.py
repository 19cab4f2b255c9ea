"""The synthetic world the history generator draws from: categories, countries, payment
methods, traffic by hour and weekday, networks, attack shares and label noise."""

from __future__ import annotations

import numpy as np
import polars as pl

HOUR = 3_600_000_000  # event times are integer microseconds from start until the very end
DAY = 24 * HOUR

CATEGORIES = ("electronics", "fashion", "home", "beauty", "grocery", "gift_cards", "toys", "sports")
EL, FA, HO, BE, GR, GC, TO, SP = range(8)
CAT_P = np.array([0.14, 0.22, 0.15, 0.12, 0.18, 0.03, 0.08, 0.08])
CAT_MEDIAN = np.array([140.0, 45.0, 60.0, 28.0, 38.0, 50.0, 30.0, 55.0])
CAT_SIGMA = np.array([0.9, 0.6, 0.75, 0.5, 0.45, 0.0, 0.6, 0.7])
CAT_REFUND = np.array([1.2, 2.0, 1.0, 0.8, 0.5, 0.2, 1.0, 1.1])  # fashion comes back most
GIFT_DENOMS = np.array([10.0, 25.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0])
GOOD_GIFT_P = np.array([0.1, 0.3, 0.3, 0.2, 0.04, 0.04, 0.01, 0.01])
BAD_GIFT_P = np.array([0.0, 0.0, 0.05, 0.3, 0.1, 0.25, 0.15, 0.15])  # cash-out goes big

COUNTRIES = (
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "PL",
    "SE",
    "CA",
    "AU",
    "BR",
    "MX",
    "IN",
    "RO",
    "NG",
    "VN",
)
HOME_P = np.array([29.5, 12, 12, 9, 6, 6, 4, 4, 3, 5, 3, 2.5, 2, 1, 0.5, 0.3, 0.2]) / 100
# fraud also comes from big markets, so the country alone is never a giveaway
FRAUD_P = np.array([8, 6, 4, 4, 3, 3, 3, 3, 1, 3, 2, 10, 6, 10, 14, 12, 8]) / 100

PAYMENTS = ("card", "wallet", "bank_transfer", "cod", "gift_card")
CARD, WALLET, BANK, COD, GIFT = range(5)
GOOD_PAY_P = np.array([0.55, 0.25, 0.07, 0.08, 0.05])

ATTACKS = ("none", "brushing", "promo_abuse", "stolen_card", "account_takeover")
ATTACK_SHARE = (0.3, 0.24, 0.28, 0.18)  # of the bad rows, in ATTACKS[1:] order
BAD_RATE = 0.025
MISSED_LABEL = 0.04  # attack rows whose chargeback or investigation never came
FRIENDLY_FRAUD = 0.0015  # genuine orders charged back anyway

# relative orders per hour of day and per weekday (Monday first)
HOURLY = np.array(
    [
        2.0,
        1.2,
        0.7,
        0.5,
        0.4,
        0.5,
        0.9,
        1.6,
        2.4,
        3.0,
        3.4,
        3.6,
        4.0,
        3.8,
        3.5,
        3.4,
        3.5,
        3.8,
        4.3,
        5.0,
        5.6,
        5.4,
        4.4,
        3.0,
    ]
)
WEEKDAY = np.array([1.0, 0.97, 0.98, 1.0, 1.05, 1.15, 1.2])
FRAUD_HOURLY = HOURLY**0.4 / (HOURLY**0.4).sum()  # scripts care less about bedtime
HOME_NETS = np.array([24, 31, 37, 46, 62, 73, 77, 81, 86, 92, 98, 109, 151, 176, 212, 217])
MOBILE_NETS = np.array([39, 107, 166, 174, 188])
PROXY_NETS = np.array([45, 104, 138, 159, 167, 185, 193, 195])  # hosting and VPN ranges

SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "event_time": pl.Datetime("us"),
        "buyer_id": pl.String(),
        "seller_id": pl.String(),
        "device_id": pl.String(),
        "ip": pl.String(),
        "amount": pl.Float64(),
        "category": pl.String(),
        "country": pl.String(),
        "payment_method": pl.String(),
        "account_age_days": pl.Int64(),
        "promo_used": pl.Boolean(),
        "buyer_orders_24h": pl.Int64(),
        "accounts_per_device_7d": pl.Int64(),
        "seller_refund_rate_30d": pl.Float64(),
        "device_new_for_buyer": pl.Boolean(),
        "country_mismatch": pl.Boolean(),
        "amount_vs_buyer_avg": pl.Float64(),
        "attack": pl.String(),
        "is_bad": pl.Int8(),
    }
)
