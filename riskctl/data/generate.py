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

from riskctl.errors import UsageError

__all__ = ["ATTACKS", "SCHEMA", "generate_history"]

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


def generate_history(
    rows: int = 200_000, seed: int = 7, days: int = 90, start: datetime = datetime(2026, 6, 1)
) -> pl.DataFrame:
    """A labelled order history of exactly ``rows`` rows; the same arguments give the same table.

    Columns and dtypes are those of ``SCHEMA``; a timezone-aware ``start`` is taken in UTC.
    Raises ``UsageError`` for fewer than 100 rows, fewer than 1 day or a negative seed.
    """
    return _simulate(rows, seed, days, start).drop("_refund_time", *RAW_ONLY)


# raw facts the derived columns were computed from: raw events keep them (riskctl/data/events.py)
RAW_ONLY = ("signup_time", "home_country")


def _simulate(rows: int, seed: int, days: int, start: datetime) -> pl.DataFrame:
    """The history plus the internal ``_refund_time`` (the tests check the refund feature)
    and the raw ``signup_time`` and ``home_country``."""
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
    n_good = rows - int(n_bad.sum())
    # every category has shops; a few genuine shops refund a lot (poor quality, not fraud)
    ns = max(16, rows // 150)
    sellers = {
        "cat": rng.permutation(np.arange(ns) % len(CATEGORIES)),
        "pop": rng.lognormal(0.0, 1.2, ns),
        "refund_p": np.where(rng.random(ns) < 0.06, rng.beta(3, 9, ns), rng.beta(1.2, 30, ns)),
    }
    good, ctx = _good(rng, n_good, days, traffic / traffic.sum(), sellers)
    blocks = [good | {"attack": np.zeros(n_good, np.int8)}]
    makers = (_brushing, _promo_abuse, _stolen_card, _account_takeover)
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


def _pick_sellers(rng: np.random.Generator, cat: np.ndarray, sellers: dict) -> np.ndarray:
    out = np.empty(len(cat), dtype=np.int64)
    for c in range(len(CATEGORIES)):  # popular shops of the order's category get more orders
        rows, shops = np.flatnonzero(cat == c), np.flatnonzero(sellers["cat"] == c)
        p = sellers["pop"][shops]
        out[rows] = shops[rng.choice(len(shops), len(rows), p=p / p.sum())]
    return out


def _groups(rng: np.random.Generator, n: int, lo: int, hi: int):
    """Split n rows into consecutive groups (rings, campaigns, sessions) of lo..hi rows."""
    sizes = rng.integers(lo, hi + 1, n // lo + 1)
    count = int(np.searchsorted(np.cumsum(sizes), n)) + 1
    g = np.repeat(np.arange(count), sizes[:count])[:n]
    return g, count, np.arange(n) - np.searchsorted(g, np.arange(count))[g]


def _schedule(
    rng: np.random.Generator, g: np.ndarray, count: int, offset: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row times and group start times for attack groups (rings, campaigns, sessions)."""
    # each pattern has its own attack days, one in every 12 days, and 70% of its groups start
    # on one of them; groups take turns over those days, so every stretch of the history sees
    # every pattern (a model trained on the past has met what the future holds)
    n_burst = max(1, days // 12)
    burst = ((np.arange(n_burst) + rng.random(n_burst)) * (days / n_burst)).astype(np.int64)
    turn = burst[(np.arange(count) + rng.integers(0, n_burst)) % n_burst]
    day = np.where(rng.random(count) < 0.7, turn, rng.integers(0, days, count))
    start = day * DAY + rng.choice(24, count, p=FRAUD_HOURLY) * HOUR + rng.integers(0, HOUR, count)
    # groups that would run past the end move back, keeping their shape, to end up to an hour
    # early, so that moved groups do not pile up on one instant
    over = np.zeros(count, dtype=np.int64)
    np.maximum.at(over, g, start[g] + offset - (days * DAY - 1) + rng.integers(0, HOUR, count)[g])
    return np.clip(start[g] + offset - over[g], 0, days * DAY - 1), start - over


def _session(rng: np.random.Generator, g: np.ndarray, pos: np.ndarray, minutes: float):
    gaps = np.where(pos == 0, 0.0, rng.exponential(minutes * 60e6, len(g)))
    c = np.cumsum(gaps)
    return (c - c[np.flatnonzero(pos == 0)][g]).astype(np.int64)


def _nets(rng: np.random.Generator, n: int, firsts: np.ndarray) -> np.ndarray:
    return (
        (rng.choice(firsts, n) << 24)
        | (rng.integers(0, 256, n) << 16)
        | (rng.integers(0, 256, n) << 8)
    )


def _amounts(rng: np.random.Generator, cat: np.ndarray, median, sigma, gift_p) -> np.ndarray:
    x = rng.lognormal(np.log(median), sigma, len(cat))
    return np.where(cat == GC, rng.choice(GIFT_DENOMS, len(cat), p=gift_p), x)


def _foreign(rng: np.random.Generator, home: np.ndarray, p: np.ndarray) -> np.ndarray:
    c = rng.choice(len(COUNTRIES), len(home), p=p)
    return np.where(c == home, (c + 1) % len(COUNTRIES), c)


def _new_ids(ctx: dict, key: str, count: int) -> np.ndarray:
    ids = ctx[key] + np.arange(count)
    ctx[key] += count
    return ids


def _good(rng: np.random.Generator, n: int, days: int, traffic: np.ndarray, sellers: dict):
    nb = max(20, n // 9)
    act = rng.lognormal(0.0, 1.1, nb)  # a few heavy buyers, many occasional ones
    spend = rng.lognormal(0.0, 0.35, nb)  # each buyer's usual basket size
    # 10% of buyers live with 1-3 other account holders and share a family device and network
    hh = np.repeat(np.arange(nb), np.where(rng.random(nb) < 0.1, rng.integers(2, 5, nb), 1))[:nb]
    nh = int(hh[-1]) + 1
    family = np.bincount(hh, minlength=nh) > 1
    home, hh_net = rng.choice(len(COUNTRIES), nh, p=HOME_P)[hh], _nets(rng, nh, HOME_NETS)
    ndev = 1 + rng.poisson(0.5, nb)
    dev0 = np.cumsum(ndev) - ndev
    n_follow = int(n * 0.12)  # split baskets and second thoughts minutes later
    n_main = n - n_follow
    b = rng.choice(nb, n_main, p=act / act.sum())
    t = rng.choice(len(traffic), n_main, p=traffic) * HOUR + rng.integers(0, HOUR, n_main)
    parent = rng.integers(0, n_main, n_follow)
    gap = rng.exponential(45 * 60e6, n_follow).astype(np.int64)
    after = t[parent] + gap  # near the end of the window the follow-up comes first instead
    b = np.concatenate([b, b[parent]])
    t = np.concatenate([t, np.where(after < days * DAY, after, np.maximum(t[parent] - gap, 0))])
    k = np.minimum(np.where(rng.random(n) < 0.7, 0, rng.integers(0, 3, n)), ndev[b] - 1)
    dev = np.where(family[hh[b]] & (rng.random(n) < 0.5), ndev.sum() + hh[b], dev0[b] + k)
    dev[n_main:] = np.where(rng.random(n_follow) < 0.85, dev[parent], dev[n_main:])
    ip = np.where(
        rng.random(n) < 0.8,
        hh_net[hh[b]] | (dev % 254 + 1),
        _nets(rng, n, MOBILE_NETS) | rng.integers(1, 255, n),
    )
    # shared terminals (offices, store kiosks, internet cafes) see many honest accounts
    n_kiosk = max(2, nb // 1500)
    kiosk = np.where(rng.random(n) < 0.01, rng.integers(0, n_kiosk, n), -1)
    dev = np.where(kiosk >= 0, ndev.sum() + nh + kiosk, dev)
    ip = np.where(kiosk >= 0, _nets(rng, n_kiosk, HOME_NETS)[kiosk] | 7, ip)

    # 15% of buyers sign up inside the window, shortly before their first order
    first = np.full(nb, np.iinfo(np.int64).max)
    np.minimum.at(first, b, t)
    new = (rng.random(nb) < 0.15) & (first < days * DAY)
    age0 = np.clip(rng.lognormal(np.log(500), 0.9, nb), 1, 4000) * DAY
    signup = np.where(new, first - rng.exponential(0.7 * DAY, nb), -age0).astype(np.int64)
    age = (t - signup[b]) // DAY
    cat = rng.choice(len(CATEGORIES), n, p=CAT_P)
    amount = _amounts(rng, cat, CAT_MEDIAN[cat], CAT_SIGMA[cat], GOOD_GIFT_P)
    amount *= np.where(cat == GC, 1.0, spend[b])
    amount *= np.where((cat == EL) & (rng.random(n) < 0.03), rng.uniform(3, 7, n), 1.0)
    pay = rng.choice(len(PAYMENTS), n, p=GOOD_PAY_P)
    seller = _pick_sellers(rng, cat, sellers)
    ctx = {
        "nb": nb,
        "nd": int(ndev.sum()) + nh + n_kiosk,
        "signup": signup,
        "home": home,
        "act": act,
        "main_device": dev0,
    }
    return dict(
        t=t,
        buyer=b,
        seller=seller,
        device=dev,
        ip=ip,
        amount=amount,
        cat=cat,
        home=home[b],
        signup=signup[b],
        country=np.where(rng.random(n) < 0.04, _foreign(rng, home[b], HOME_P), home[b]),
        pay=np.where((cat == GC) & (pay == GIFT), CARD, pay),
        promo=rng.random(n) < np.where(age < 7, 0.5, np.where(age < 30, 0.15, 0.06)),
        refunded=rng.random(n) < np.minimum(sellers["refund_p"][seller] * CAT_REFUND[cat], 0.8),
    ), ctx


def _brushing(rng, n, days, sellers, ctx):
    g, G, _ = _groups(rng, n, 30, 120)
    n_buy, n_dev = rng.integers(4, 11, G), rng.integers(1, 4, G)
    buy0 = _new_ids(ctx, "nb", int(n_buy.sum()))[np.cumsum(n_buy) - n_buy]
    dev_ring = _new_ids(ctx, "nd", int(n_dev.sum()))[np.cumsum(n_dev) - n_dev]
    dev_own = _new_ids(ctx, "nd", int(n_buy.sum()))[np.cumsum(n_buy) - n_buy]
    local = (rng.random(n) * n_buy[g]).astype(np.int64)
    buyer = buy0[g] + local
    careful = (rng.random(G) < 0.5)[g]
    device = np.where(
        careful, dev_own[g] + local, dev_ring[g] + (rng.random(n) * n_dev[g]).astype(np.int64)
    )
    shops = rng.choice(
        np.flatnonzero(np.isin(sellers["cat"], [FA, BE, HO, TO, SP])), max(2, G // 3)
    )
    seller = rng.choice(shops, (G, 2))[g, (rng.random(n) * rng.integers(1, 3, G)[g]).astype(int)]
    span = rng.uniform(2, 10, G)[g] * (1 + careful) * DAY
    t, start = _schedule(rng, g, G, (rng.random(n) * span).astype(np.int64), days)
    age = np.clip(rng.lognormal(np.log(60), 1.0, int(n_buy.sum())), 3, 900) * DAY
    home = rng.choice(len(COUNTRIES), G, p=HOME_P)[g]
    return dict(
        t=t,
        buyer=buyer,
        seller=seller,
        device=device,
        cat=sellers["cat"][seller],
        ip=_nets(rng, G, HOME_NETS)[g] | rng.integers(1, 6, n),
        amount=rng.lognormal(np.log(14 + 8 * careful), 0.6),
        home=home,
        country=home,
        pay=rng.choice([WALLET, CARD, GIFT], n, p=[0.5, 0.4, 0.1]),
        signup=start[g] - age.astype(np.int64)[buyer - buy0[0]],
        promo=rng.random(n) < 0.12,
        refunded=rng.random(n) < np.where(careful, 0.2, 0.5),
    )


def _promo_abuse(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 8, 40)
    per_acct = rng.integers(1, 3, G)  # one or two orders per fresh account
    n_acct = np.bincount(g, minlength=G) // per_acct + 1
    acct0 = _new_ids(ctx, "nb", int(n_acct.sum()))[np.cumsum(n_acct) - n_acct]
    buyer = acct0[g] + pos // per_acct[g]
    spoofed = _new_ids(ctx, "nd", int(n_acct.sum()))[buyer - acct0[0]]
    device = np.where((rng.random(G) < 0.4)[g], spoofed, _new_ids(ctx, "nd", G)[g])
    t, _ = _schedule(rng, g, G, rng.integers(0, 5 * HOUR, n), days)
    first = np.full(ctx["nb"], np.iinfo(np.int64).max)
    np.minimum.at(first, buyer, t)
    aged = np.where(rng.random(G) < 0.3, rng.uniform(2, 30, G) * DAY, 0).astype(np.int64)
    home = rng.choice(len(COUNTRIES), G, p=HOME_P)[g]
    cat = rng.choice([GR, BE, FA, HO], n, p=[0.35, 0.3, 0.2, 0.15])
    return dict(
        t=t,
        buyer=buyer,
        seller=_pick_sellers(rng, cat, sellers),
        device=device,
        ip=_nets(rng, G, MOBILE_NETS)[g] | rng.integers(1, 12, n),
        cat=cat,
        amount=rng.lognormal(np.log(22), 0.3, n),
        home=home,
        country=home,
        pay=rng.choice([WALLET, CARD, COD], n, p=[0.5, 0.35, 0.15]),
        signup=first[buyer] - aged[g] - rng.integers(0, 2 * HOUR, G)[g],
        promo=rng.random(n) < 0.85,
        refunded=rng.random(n) < 0.08,
    )


def _stolen_card(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 1, 4)
    farms = _new_ids(ctx, "nd", max(1, G // 8))
    device = np.where(
        rng.random(G) < 0.2, farms[rng.integers(0, len(farms), G)], _new_ids(ctx, "nd", G)
    )
    t, start = _schedule(rng, g, G, _session(rng, g, pos, 8), days)
    new = rng.random(G) < 0.45
    age = (np.where(new, rng.uniform(0, 2, G), rng.uniform(10, 400, G)) * DAY).astype(np.int64)
    home = rng.choice(len(COUNTRIES), G, p=FRAUD_P)
    away = rng.random(G) < np.where(new, 0.4, 0.55)
    cat = rng.choice([EL, GC, SP, FA], n, p=[0.45, 0.3, 0.15, 0.1])
    return dict(
        t=t,
        buyer=_new_ids(ctx, "nb", G)[g],
        seller=_pick_sellers(rng, cat, sellers),
        device=device[g],
        ip=_nets(rng, n, PROXY_NETS) | rng.integers(1, 255, n),
        cat=cat,
        amount=_amounts(rng, cat, np.where(cat == EL, 400, 150), 0.8, BAD_GIFT_P),
        home=home[g],
        country=np.where(away, _foreign(rng, home, FRAUD_P), home)[g],
        pay=np.where(rng.random(n) < 0.9, CARD, WALLET),
        signup=(start - age)[g],
        promo=rng.random(n) < 0.03,
        refunded=rng.random(n) < 0.05,
    )


def _account_takeover(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 1, 3)
    old = np.flatnonzero(ctx["signup"] < -180 * DAY)  # victims are established customers
    old = old if len(old) else np.arange(len(ctx["signup"]))
    victim = old[rng.choice(len(old), G, p=ctx["act"][old] / ctx["act"][old].sum())]
    home = ctx["home"][victim]
    hijack = rng.random(G) < 0.1  # the victim's own phone: same device, same country
    away = ~hijack & (rng.random(G) < 0.75)
    device = np.where(hijack, ctx["main_device"][victim], _new_ids(ctx, "nd", G))
    t, _ = _schedule(rng, g, G, _session(rng, g, pos, 15), days)
    cat = rng.choice([EL, GC, SP, FA], n, p=[0.5, 0.3, 0.1, 0.1])
    return dict(
        t=t,
        buyer=victim[g],
        seller=_pick_sellers(rng, cat, sellers),
        device=device[g],
        ip=_nets(rng, n, np.r_[PROXY_NETS, HOME_NETS]) | rng.integers(1, 255, n),
        cat=cat,
        amount=_amounts(rng, cat, np.where(cat == EL, 400, 150), 0.8, BAD_GIFT_P),
        home=home[g],
        country=np.where(away, _foreign(rng, home, FRAUD_P), home)[g],
        pay=np.where(rng.random(n) < 0.7, CARD, WALLET),
        signup=ctx["signup"][victim][g],
        promo=rng.random(n) < 0.02,
        refunded=rng.random(n) < 0.03,
    )


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
