"""Synthetic, labelled e-commerce order history (what `riskctl data generate` writes).

One row per order, sorted by ``event_time``, over ``days`` days from ``start``: quiet nights,
busy evenings, busier weekends, slow growth. About 2.5% of rows are bad (from a few thousand
rows up; tiny tables get at least two rows of each pattern). Bad rows come from four attack
patterns (column ``attack``). Each pattern strikes in bursts on attack days of its own (about
one day in twelve) on top of a thin background, so the daily bad rate jumps the way it does in
production, and every stretch of the history contains every pattern.

``brushing``
    Rings of 4-10 colluding buyer accounts (mostly weeks to months old) placing many small
    orders at one or two shops over 2-20 days to fake sales and reviews. The same shops hire
    rings again and again. Half of the rings share one to three devices (high
    ``accounts_per_device_7d``) and get half their orders refunded within a day or two, which
    shows in the shops' ``seller_refund_rate_30d``. The careful half gives every account its own
    device, spreads out its orders, spends a little more and refunds less.
``promo_abuse``
    Bursts of fresh accounts (``account_age_days`` 0; in 30% of campaigns, a few weeks old)
    made on one device - or, in 40% of campaigns, an emulator faking a new device per account -
    each redeeming the welcome promotion (``promo_used``) on a cheap order just above the
    coupon threshold.
``stolen_card``
    Card testing and cash-out: one to four quick orders, mostly electronics or gift cards in
    round denominations, paid by card from a new device (sometimes a shared device farm) and a
    proxy IP, by a brand-new account or an older fraudster-held one, often from another country
    than the account's (``country_mismatch``).
``account_takeover``
    An established account (180+ days old) suddenly placing one to three expensive orders
    (high ``amount_vs_buyer_avg``), mostly electronics and gift cards, from a new device and in
    most cases from another country. One in ten uses the victim's own phone (remote-access
    scams), leaving only the spending as a clue.

Good rows are not all clean-looking: families share a device, offices and internet cafes share
terminals, people travel (country mismatch), new customers use the welcome promotion, buyers
split baskets into several orders, some genuine shops refund a lot, and a few genuine buyers
make one big purchase.

Labels are noisy like real ones: ``attack`` is what really happened, ``is_bad`` the confirmed
label. About 4% of attack rows were never confirmed (``is_bad`` = 0) and about 0.15% of normal
rows are chargebacks on genuine orders (friendly fraud: ``attack`` = "none", ``is_bad`` = 1).

The feature columns are point-in-time: each uses only its own row and the rows before it
(event times are unique), so training on them does not leak the future. As in a feature store
backfilled from the first day, history starts at ``start``, so early rows see short histories.

* ``buyer_orders_24h``: the buyer's earlier orders in [t - 24h, t), this one not counted.
* ``accounts_per_device_7d``: distinct buyers on the device in (t - 7d, t], this one counted.
* ``seller_refund_rate_30d``: of the seller's orders in [t - 30d, t), the share refunded
  before t (refunds come 2 hours to 21 days after the order); 0.0 without such orders.
* ``device_new_for_buyer``: no earlier order by this buyer on this device.
* ``country_mismatch``: the order's country differs from the account's home country.
* ``amount_vs_buyer_avg``: amount / mean amount of the buyer's earlier orders; 1.0 if none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from riskctl.data.memory import human_bytes, memory_limit
from riskctl.errors import UsageError
from riskctl.synth.patterns import (
    account_takeover_orders,
    brushing_orders,
    good_orders,
    promo_abuse_orders,
    stolen_card_orders,
)
from riskctl.synth.world import (
    ATTACK_SHARE,
    ATTACKS,
    BAD_RATE,
    CATEGORIES,
    COUNTRIES,
    DAY,
    FRIENDLY_FRAUD,
    HOUR,
    HOURLY,
    MISSED_LABEL,
    PAYMENTS,
    SCHEMA,
    WEEKDAY,
)

__all__ = ["ATTACKS", "SCHEMA", "generate_history"]


def generate_history(
    rows: int = 200_000, seed: int = 7, days: int = 90, start: datetime = datetime(2026, 6, 1)
) -> pl.DataFrame:
    """A labelled order history of exactly ``rows`` rows; the same arguments give the same table.

    Columns and dtypes are those of ``SCHEMA``; a timezone-aware ``start`` is taken in UTC.
    Raises ``UsageError`` for fewer than 100 rows, fewer than 1 day or a negative seed.
    """
    return _simulate(rows, seed, days, start).drop("_refund_time", *RAW_ONLY)


# raw facts the derived columns were computed from: raw events keep them (riskctl/synth/events.py)
RAW_ONLY = ("signup_time", "home_country")


GENERATE_ROW_BYTES = 1_000  # peak memory per generated row (measured: about 560 bytes)
MAX_DAYS = 3_660  # ten years of hourly traffic


def check_generate_size(rows: int, days: int, seed: int) -> None:
    """Whole numbers, at least 100 rows, 1 day and seed 0; the history is built in memory:
    refuse, before building it, more rows than the memory limit allows, or more days than
    MAX_DAYS."""
    for flag, value, low, example in (
        ("rows", rows, 100, 200_000),
        ("days", days, 1, 90),
        ("seed", seed, 0, 7),
    ):
        if not isinstance(value, int | np.integer) or value < low:
            raise UsageError(
                f"--{flag} must be at least {low}",
                hint=f"got {value!r}; for example --{flag} {example}",
            )
    if days > MAX_DAYS:
        raise UsageError(
            f"--days must be at most {MAX_DAYS:,}", hint=f"got {days:,}; for example --days 90"
        )
    limit = memory_limit()
    most = limit // GENERATE_ROW_BYTES
    if rows > most:
        raise UsageError(
            f"--rows {rows:,}: generating that many rows needs about "
            f"{human_bytes(rows * GENERATE_ROW_BYTES)}, over the memory limit of "
            f"{human_bytes(limit)}",
            hint=f"generate at most {most:,} rows here (several files with different --seed "
            "values for more), or raise the limit with riskctl --max-memory SIZE",
        )


def _simulate(rows: int, seed: int, days: int, start: datetime) -> pl.DataFrame:
    """The history plus the internal ``_refund_time`` (the tests check the refund feature)
    and the raw ``signup_time`` and ``home_country``."""
    check_generate_size(rows, days, seed)
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    traffic = (
        HOURLY[hours % 24]
        * WEEKDAY[(start.weekday() + hours // 24) % 7]
        * (1 + 0.15 * hours / len(hours))
    )
    n_bad = np.maximum(2, np.round(rows * BAD_RATE * np.array(ATTACK_SHARE))).astype(np.int64)
    ngood_orders = rows - int(n_bad.sum())
    # every category has shops; a few genuine shops refund a lot (poor quality, not fraud)
    ns = max(16, rows // 150)
    sellers = {
        "cat": rng.permutation(np.arange(ns) % len(CATEGORIES)),
        "pop": rng.lognormal(0.0, 1.2, ns),
        "refund_p": np.where(rng.random(ns) < 0.06, rng.beta(3, 9, ns), rng.beta(1.2, 30, ns)),
    }
    good, ctx = good_orders(rng, ngood_orders, days, traffic / traffic.sum(), sellers)
    blocks = [good | {"attack": np.zeros(ngood_orders, np.int8)}]
    makers = (brushing_orders, promo_abuse_orders, stolen_card_orders, account_takeover_orders)
    for code, (make, n) in enumerate(zip(makers, n_bad.tolist(), strict=True), start=1):
        blocks.append(make(rng, n, days, sellers, ctx) | {"attack": np.full(n, code, np.int8)})
    b = {k: np.concatenate([blk[k] for blk in blocks]) for k in blocks[0]}
    b["amount"] = np.maximum(np.rint(b["amount"] * 100), 100) / 100  # cents, at least 1.00
    # refunds land 2 hours to 21 days after the order (ring shops refund within a day or two);
    # the 30-day refund feature relies on that cap staying under 30 days
    delay = rng.gamma(2.0, np.where(b["attack"] == 1, 0.7, 2.5)) * DAY
    b["delay"] = np.clip(delay, 2 * HOUR, 21 * DAY).astype(np.int64)

    # a stable sort plus a microsecond nudge makes event times unique, so "before" is never
    # ambiguous and each feature has one brute-force definition
    order = np.argsort(b["t"], kind="stable")
    b = {k: v[order] for k, v in b.items()}
    idx = np.arange(rows)
    b["t"] = np.maximum.accumulate(b["t"] - idx) + idx
    feats = _features(b)
    bad = b["attack"] > 0
    flip = rng.random(rows) < np.where(bad, MISSED_LABEL, FRIENDLY_FRAUD)
    # shuffled ids, so that neither attackers nor households sit in recognisable id ranges
    for key, count in (
        ("buyer", ctx["nb"]),
        ("device", ctx["nd"]),
        ("seller", len(sellers["cat"])),
    ):
        b[key] = rng.permutation(count)[b[key]]
    return _frame(b, feats, (bad ^ flip).astype(np.int8), start)


def _frame(
    b: dict[str, np.ndarray], f: dict[str, np.ndarray], is_bad: np.ndarray, start: datetime
) -> pl.DataFrame:
    t0 = (start - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    df = pl.DataFrame(
        {
            "order_id": np.arange(len(b["t"])),
            "event_time": b["t"] + t0,
            "buyer_id": b["buyer"],
            "seller_id": b["seller"],
            "device_id": b["device"],
            "ip": b["ip"],
            "amount": b["amount"],
            "category": pl.Series(CATEGORIES).gather(b["cat"]),
            "country": pl.Series(COUNTRIES).gather(b["country"]),
            "payment_method": pl.Series(PAYMENTS).gather(b["pay"]),
            "account_age_days": np.maximum((b["t"] - b["signup"]) // DAY, 0),
            "promo_used": b["promo"],
            **f,
            "country_mismatch": b["country"] != b["home"],
            "attack": pl.Series(ATTACKS).gather(b["attack"]),
            "is_bad": is_bad,
            "_refund_time": b["t"] + b["delay"] + t0,
            "_refunded": b["refunded"],
            "signup_time": b["signup"] + t0,
            "home_country": pl.Series(COUNTRIES).gather(b["home"]),
        }
    )

    def ident(col: str, prefix: str, width: int) -> pl.Expr:
        return pl.concat_str(pl.lit(prefix), pl.col(col).cast(pl.String).str.zfill(width))

    octets = [(pl.col("ip") // 256**k % 256).cast(pl.String) for k in (3, 2, 1, 0)]
    return df.select(
        ident("order_id", "o", max(7, len(str(len(df) - 1)))).alias("order_id"),
        pl.col("event_time").cast(pl.Datetime("us")),
        ident("buyer_id", "b", 7).alias("buyer_id"),
        ident("seller_id", "s", 5).alias("seller_id"),
        ident("device_id", "d", 7).alias("device_id"),
        pl.concat_str(octets, separator=".").alias("ip"),
        *list(SCHEMA)[6:],
        pl.when("_refunded").then(pl.col("_refund_time").cast(pl.Datetime("us"))),
        pl.col("signup_time").cast(pl.Datetime("us")),
        "home_country",
    ).with_columns(pl.col(n).cast(d) for n, d in SCHEMA.items())


def _count_before(ev_key, ev_t, q_key, q_t, inclusive: bool = False) -> np.ndarray:
    """Per query, the events with the same key and a time < q_t (<= if inclusive). Times are
    replaced by ranks among the event times, so key * m + rank fits in int64 and one sorted
    array answers every query with two binary searches."""
    o = np.argsort(ev_t, kind="stable")
    m = len(o) + 1
    keyed = np.sort(ev_key[o] * m + np.arange(len(o)))
    q = q_key * m + np.searchsorted(ev_t[o], q_t, side="right" if inclusive else "left")
    return np.searchsorted(keyed, q) - np.searchsorted(keyed, q_key * m)


def _features(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    t, buyer, device, seller, n = b["t"], b["buyer"], b["device"], b["seller"], len(b["t"])
    f = {
        "buyer_orders_24h": _count_before(buyer, t, buyer, t)
        - _count_before(buyer, t, buyer, t - DAY)
    }
    # distinct buyers on a device in (t-7d, t]: each use opens an interval [s, s+7d), cut at
    # the same buyer's next use of the device; the intervals open at t are the distinct buyers
    pair = buyer * (int(device.max()) + 1) + device
    o = np.argsort(pair, kind="stable")  # rows are in time order, so each pair stays in order
    first = np.r_[True, pair[o][1:] != pair[o][:-1]]
    nxt = np.full(n, np.iinfo(np.int64).max)
    nxt[o[:-1][~first[1:]]] = t[o][1:][~first[1:]]
    end = np.minimum(nxt, t + 7 * DAY)
    f["accounts_per_device_7d"] = _count_before(
        device, t, device, t, inclusive=True
    ) - _count_before(device, end, device, t, inclusive=True)
    f["device_new_for_buyer"] = np.empty(n, bool)
    f["device_new_for_buyer"][o] = first
    # refunded share of the seller's orders placed in [t-30d, t), counting only refunds made
    # before t; refunds take under 30 days, so those of older orders are all known by t
    r = b["refunded"]
    placed = _count_before(seller, t, seller, t) - _count_before(seller, t, seller, t - 30 * DAY)
    known = _count_before(seller[r], t[r] + b["delay"][r], seller, t) - _count_before(
        seller[r], t[r], seller, t - 30 * DAY
    )
    f["seller_refund_rate_30d"] = np.round(known / np.maximum(placed, 1), 4)
    # the buyer's mean earlier amount, from integer cents so the prefix sums are exact
    cents = np.rint(b["amount"] * 100).astype(np.int64)
    ob = np.argsort(buyer, kind="stable")
    c = np.cumsum(cents[ob]) - cents[ob]
    head = np.r_[True, buyer[ob][1:] != buyer[ob][:-1]]
    prev, count = np.empty(n, np.int64), np.empty(n, np.int64)
    prev[ob] = c - np.maximum.accumulate(np.where(head, c, 0))
    count[ob] = np.arange(n) - np.maximum.accumulate(np.where(head, np.arange(n), 0))
    ratio = cents * np.maximum(count, 1) / np.maximum(prev, 1)
    f["amount_vs_buyer_avg"] = np.round(np.where(count > 0, ratio, 1.0), 4)
    return f
