"""Synthetic, labelled e-commerce order history (what `riskctl data generate` writes).

One row per order, sorted by ``event_time``, over ``days`` days from ``start``, with a daily
rhythm (quiet at night, peak in the evening), busier weekends and slow growth. About 2.5% of
rows are bad. Bad rows come from four attack patterns (column ``attack``), each arriving in
bursts on a few "attack days" on top of a thin background, so daily bad rates move the way they
do in production:

``brushing``
    Rings of 4-10 colluding buyer accounts (weeks to months old) that place many small orders
    (around 12) at one or two shops of the ring over a few days to fake sales and reviews.
    Most rings share one to three devices, so ``accounts_per_device_7d`` and
    ``buyer_orders_24h`` rise; about half of the orders are refunded later, which pushes the
    shops' ``seller_refund_rate_30d`` up for their genuine orders too. A quarter of the rings
    give every account its own device.
``promo_abuse``
    Bursts of freshly registered accounts (``account_age_days`` 0, sometimes a few weeks old)
    created on one device - or, for a quarter of the campaigns, a spoofed new device per
    account - each redeeming the welcome promotion (``promo_used``) on a cheap order just
    above the coupon threshold.
``stolen_card``
    Card testing and cash-out: one to four quick orders of electronics or gift cards in round
    denominations, paid by card, from a new device, by a brand-new account or by an older
    fraudster-held account that orders from another country (``country_mismatch``).
    Some fraudsters share a device farm.
``account_takeover``
    An established account (at least 180 days old) suddenly ordering from a new device, in
    most cases from another country, one to three expensive orders (high
    ``amount_vs_buyer_avg``), mostly electronics and gift cards.

Good rows are not all clean-looking: families share a device, people travel (country mismatch),
new customers use the welcome promotion, buyers split baskets into several orders, some shops
have genuinely high refund rates, and a few genuine buyers make one big purchase.

Labels are noisy like real ones: ``attack`` is the true mechanism, ``is_bad`` the confirmed
label. About 4% of attack rows were never confirmed (``is_bad`` = 0) and about 0.15% of normal
rows are chargebacks on genuine orders (friendly fraud, ``attack`` = "none", ``is_bad`` = 1).

The feature columns are point-in-time: each is computed from the same row and the rows before
it in time only (event times are unique), so training on them does not leak the future. A
refund counts only once it has happened (refunds come 2 hours to 21 days after the order).
As in a feature store backfilled from the first day, history starts at ``start``: the first
days see short histories (more "new device", fewer orders in the last 24 hours).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from riskctl.errors import UsageError

__all__ = ["ATTACKS", "SCHEMA", "generate_history"]

HOUR = 3_600_000_000  # event times are integer microseconds until the DataFrame is built
DAY = 24 * HOUR

CATEGORIES = ("electronics", "fashion", "home", "beauty", "grocery", "gift_cards", "toys",
              "sports")
EL, FA, HO, BE, GR, GC, TO, SP = range(8)
CAT_P = np.array([0.14, 0.22, 0.15, 0.12, 0.18, 0.03, 0.08, 0.08])
CAT_MEDIAN = np.array([140.0, 45.0, 60.0, 28.0, 38.0, 50.0, 30.0, 55.0])
CAT_SIGMA = np.array([0.9, 0.6, 0.75, 0.5, 0.45, 0.0, 0.6, 0.7])
CAT_REFUND = np.array([1.2, 2.0, 1.0, 0.8, 0.5, 0.2, 1.0, 1.1])  # fashion comes back most
GIFT_DENOMS = np.array([10.0, 25.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0])
GOOD_GIFT_P = np.array([0.1, 0.3, 0.3, 0.2, 0.04, 0.04, 0.01, 0.01])
BAD_GIFT_P = np.array([0.0, 0.0, 0.05, 0.3, 0.1, 0.25, 0.15, 0.15])  # cash-out goes big

COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "SE", "CA", "AU", "BR", "MX",
             "IN", "RO", "NG", "VN")
HOME_P = np.array([30, 12, 12, 9, 6, 6, 4, 4, 3, 5, 3, 2.5, 2, 1, 0.5, 0.3, 0.2])
HOME_P = HOME_P / HOME_P.sum()
# fraud is not only "exotic" countries: US and EU origins keep country alone from being a tell
FRAUD_P = np.array([8, 6, 4, 4, 3, 3, 3, 3, 1, 3, 2, 10, 6, 10, 14, 12, 8], dtype=float)
FRAUD_P = FRAUD_P / FRAUD_P.sum()

PAYMENTS = ("card", "wallet", "bank_transfer", "cod", "gift_card")
CARD, WALLET, BANK, COD, GIFT = range(5)
GOOD_PAY_P = np.array([0.55, 0.25, 0.07, 0.08, 0.05])

ATTACKS = ("none", "brushing", "promo_abuse", "stolen_card", "account_takeover")
ATTACK_SHARE = (0.3, 0.24, 0.28, 0.18)  # of the bad rows, in ATTACKS[1:] order
BAD_RATE = 0.025
MISSED_LABEL = 0.04  # attack rows whose chargeback or investigation never came
FRIENDLY_FRAUD = 0.0015  # genuine orders charged back anyway

# relative orders per hour of day and per weekday (Monday first)
HOURLY = np.array([2.0, 1.2, 0.7, 0.5, 0.4, 0.5, 0.9, 1.6, 2.4, 3.0, 3.4, 3.6, 4.0, 3.8, 3.5,
                   3.4, 3.5, 3.8, 4.3, 5.0, 5.6, 5.4, 4.4, 3.0])
WEEKDAY = np.array([1.0, 0.97, 0.98, 1.0, 1.05, 1.15, 1.2])
FRAUD_HOURLY = HOURLY**0.4 / (HOURLY**0.4).sum()  # fraud scripts care less about bedtime
HOME_NETS = np.array([24, 31, 37, 46, 62, 73, 77, 81, 86, 92, 98, 109, 151, 176, 212, 217])
MOBILE_NETS = np.array([39, 107, 166, 174, 188])
PROXY_NETS = np.array([45, 104, 138, 159, 167, 185, 193, 195])  # hosting and VPN ranges

SCHEMA: dict[str, pl.DataType] = {
    "order_id": pl.String(), "event_time": pl.Datetime("us"), "buyer_id": pl.String(),
    "seller_id": pl.String(), "device_id": pl.String(), "ip": pl.String(),
    "amount": pl.Float64(), "category": pl.String(), "country": pl.String(),
    "payment_method": pl.String(), "account_age_days": pl.Int64(), "promo_used": pl.Boolean(),
    "buyer_orders_24h": pl.Int64(), "accounts_per_device_7d": pl.Int64(),
    "seller_refund_rate_30d": pl.Float64(), "device_new_for_buyer": pl.Boolean(),
    "country_mismatch": pl.Boolean(), "amount_vs_buyer_avg": pl.Float64(),
    "attack": pl.String(), "is_bad": pl.Int8(),
}


def generate_history(rows: int = 200_000, seed: int = 7, days: int = 90,
                     start: datetime = datetime(2026, 6, 1)) -> pl.DataFrame:
    """A labelled order history of exactly ``rows`` rows; same arguments, same table."""
    return _simulate(rows, seed, days, start).drop("_refund_time")


def _simulate(rows: int, seed: int, days: int, start: datetime) -> pl.DataFrame:
    """The history plus the internal ``_refund_time`` (tests check the refund feature with it)."""
    _validate(rows, seed, days)
    rng = np.random.default_rng(seed)
    weekday0 = start.weekday()
    hourly = (HOURLY[np.arange(days * 24) % 24] * WEEKDAY[(weekday0 + np.arange(days * 24) // 24) % 7]
              * (1 + 0.15 * np.arange(days * 24) / (days * 24)))
    n_bad = np.maximum(2, np.round(rows * BAD_RATE * np.array(ATTACK_SHARE))).astype(np.int64)
    n_good = rows - int(n_bad.sum())
    n_sellers = max(16, rows // 150)
    sellers = _sellers(rng, n_sellers)
    good, ctx = _good(rng, n_good, days, hourly / hourly.sum(), sellers)
    good["attack"] = np.zeros(n_good, dtype=np.int8)
    blocks = [good]
    for code, (make, n) in enumerate(zip((_brushing, _promo_abuse, _stolen_card,
                                          _account_takeover), n_bad, strict=True), start=1):
        block = make(rng, int(n), days, sellers, ctx)
        block["attack"] = np.full(int(n), code, dtype=np.int8)
        blocks.append(block)
    b = {k: np.concatenate([blk[k] for blk in blocks]) for k in good}
    b["amount"] = np.maximum(np.rint(b["amount"] * 100), 100) / 100  # cents, at least 1.00

    # sort by time; a stable sort and a microsecond nudge make event times unique, so "before"
    # is never ambiguous and the brute-force definition of every feature is the same as ours
    order = np.argsort(b["t"], kind="stable")
    b = {k: v[order] for k, v in b.items()}
    idx = np.arange(rows)
    b["t"] = np.maximum.accumulate(b["t"] - idx) + idx
    feats = _features(b)

    bad = b["attack"] > 0
    flip = rng.random(rows) < np.where(bad, MISSED_LABEL, FRIENDLY_FRAUD)
    # ids are shuffled so that neither attackers nor households get recognisable id ranges
    for key, count in (("buyer", ctx["nb"]), ("device", ctx["nd"]), ("seller", n_sellers)):
        b[key] = rng.permutation(count)[b[key]]
    return _frame(b, feats, (bad ^ flip).astype(np.int8), start)


def _frame(b: dict[str, np.ndarray], f: dict[str, np.ndarray], is_bad: np.ndarray,
           start: datetime) -> pl.DataFrame:
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    t0 = (start - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    refund_t = np.where(b["refunded"], b["t"] + b["delay"], -1)
    df = pl.DataFrame({
        "order_id": np.arange(len(b["t"])), "event_time": b["t"] + t0, "buyer_id": b["buyer"],
        "seller_id": b["seller"], "device_id": b["device"], "ip": b["ip"],
        "amount": b["amount"], "category": pl.Series(CATEGORIES).gather(b["cat"]),
        "country": pl.Series(COUNTRIES).gather(b["country"]),
        "payment_method": pl.Series(PAYMENTS).gather(b["pay"]),
        "account_age_days": np.maximum((b["t"] - b["signup"]) // DAY, 0),
        "promo_used": b["promo"], **f, "country_mismatch": b["country"] != b["home"],
        "attack": pl.Series(ATTACKS).gather(b["attack"]), "is_bad": is_bad,
        "_refund_time": refund_t + t0,
    })

    def ident(col: str, prefix: str, width: int) -> pl.Expr:
        return pl.concat_str(pl.lit(prefix), pl.col(col).cast(pl.String).str.zfill(width)).alias(col)

    octets = [(pl.col("ip") // 256**k % 256).cast(pl.String) for k in (3, 2, 1, 0)]
    return df.with_columns(
        ident("order_id", "o", max(7, len(str(len(df) - 1)))),
        ident("buyer_id", "b", 7), ident("seller_id", "s", 5), ident("device_id", "d", 7),
        pl.concat_str(octets, separator=".").alias("ip"),
        pl.col("event_time").cast(pl.Datetime("us")),
        pl.when(pl.Series(refund_t >= 0)).then(pl.col("_refund_time")).cast(pl.Datetime("us"))
        .alias("_refund_time"),
    ).select(*SCHEMA, "_refund_time").cast(SCHEMA)


def _validate(rows: int, seed: int, days: int) -> None:
    if not isinstance(rows, int | np.integer) or rows < 100:
        raise UsageError("--rows must be at least 100", hint=f"got {rows}; try --rows 200000")
    if not isinstance(days, int | np.integer) or days < 1:
        raise UsageError("--days must be at least 1", hint=f"got {days}; try --days 90")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError("--seed must be a non-negative integer", hint=f"got {seed}")


def _sellers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    # every category has shops; a few genuine shops refund a lot (poor quality, not fraud)
    cat = rng.permutation(np.arange(n) % len(CATEGORIES))
    refund_p = np.where(rng.random(n) < 0.06, rng.beta(3, 9, n), rng.beta(1.2, 30, n))
    return {"cat": cat, "pop": rng.lognormal(0.0, 1.2, n), "refund_p": refund_p}


def _pick_sellers(rng: np.random.Generator, cat: np.ndarray, sellers: dict) -> np.ndarray:
    out = np.empty(len(cat), dtype=np.int64)
    for c in range(len(CATEGORIES)):  # one draw per category, popular shops get more orders
        rows, shops = np.flatnonzero(cat == c), np.flatnonzero(sellers["cat"] == c)
        p = sellers["pop"][shops]
        out[rows] = shops[rng.choice(len(shops), len(rows), p=p / p.sum())]
    return out


def _groups(rng: np.random.Generator, n: int, lo: int, hi: int):
    """Split n rows into consecutive groups (rings, campaigns, sessions) of lo..hi rows."""
    sizes = rng.integers(lo, hi + 1, n // lo + 1)
    count = int(np.searchsorted(np.cumsum(sizes), n)) + 1
    g = np.repeat(np.arange(count), sizes[:count])[:n]
    pos = np.arange(n) - np.searchsorted(g, np.arange(count))[g]
    return g, count, pos


def _burst_starts(rng: np.random.Generator, count: int, days: int) -> np.ndarray:
    # each pattern has its own attack days: 70% of its groups start on one of them
    burst = rng.choice(days, size=max(1, days // 12), replace=False)
    day = np.where(rng.random(count) < 0.7, burst[rng.integers(0, len(burst), count)],
                   rng.integers(0, days, count))
    return day * DAY + rng.choice(24, count, p=FRAUD_HOURLY) * HOUR + rng.integers(0, HOUR, count)


def _fit(rng: np.random.Generator, t: np.ndarray, g: np.ndarray, count: int, days: int) -> np.ndarray:
    """Shift groups that would run past the end back into the window, keeping their shape."""
    over = np.zeros(count, dtype=np.int64)
    # each group ends up to an hour before the end, so shifted groups do not pile up there
    np.maximum.at(over, g, t - (days * DAY - 1) + rng.integers(0, HOUR, count)[g])
    return np.clip(t - over[g], 0, days * DAY - 1)


def _session_offsets(rng: np.random.Generator, g: np.ndarray, pos: np.ndarray, minutes: float):
    gaps = np.where(pos == 0, 0.0, rng.exponential(minutes * 60e6, len(g)))
    c = np.cumsum(gaps)
    return (c - c[np.flatnonzero(pos == 0)][g]).astype(np.int64)


def _nets(rng: np.random.Generator, n: int, firsts: np.ndarray) -> np.ndarray:
    return ((rng.choice(firsts, n) << 24) | (rng.integers(0, 256, n) << 16)
            | (rng.integers(0, 256, n) << 8))


def _amounts(rng: np.random.Generator, cat: np.ndarray, median: np.ndarray | float,
             sigma: float | np.ndarray, gift_p: np.ndarray) -> np.ndarray:
    x = rng.lognormal(np.log(median), sigma, len(cat))
    return np.where(cat == GC, rng.choice(GIFT_DENOMS, len(cat), p=gift_p), x)


def _foreign(rng: np.random.Generator, home: np.ndarray, p: np.ndarray) -> np.ndarray:
    c = rng.choice(len(COUNTRIES), len(home), p=p)
    return np.where(c == home, (c + 1) % len(COUNTRIES), c)


def _block(rng: np.random.Generator, refund_days: float = 2.5, **cols: np.ndarray):
    # refunds land 2 hours to 21 days after the order (mostly a few days); the 30-day refund
    # feature relies on that cap being under 30 days
    delay = np.clip(rng.gamma(2.0, refund_days, len(cols["t"])) * DAY, 2 * HOUR, 21 * DAY)
    return cols | {"delay": delay.astype(np.int64)}


def _good(rng, n, days, hour_p, sellers):
    nb = max(20, n // 9)
    act = rng.lognormal(0.0, 1.1, nb)  # a few heavy buyers, many occasional ones
    spend = rng.lognormal(0.0, 0.35, nb)  # each buyer's usual basket size
    # households: 6% of buyers live with 1-3 other accounts and share a family device
    hh = np.repeat(np.arange(nb), np.where(rng.random(nb) < 0.1, rng.integers(2, 5, nb), 1))[:nb]
    nh = int(hh[-1]) + 1
    family = np.bincount(hh, minlength=nh) > 1
    home = rng.choice(len(COUNTRIES), nh, p=HOME_P)[hh]
    hh_net = _nets(rng, nh, HOME_NETS)
    ndev = 1 + rng.poisson(0.5, nb)
    dev0 = np.cumsum(ndev) - ndev
    n_follow = int(n * 0.12)  # split baskets and second thoughts minutes later
    n_main = n - n_follow
    b = rng.choice(nb, n_main, p=act / act.sum())
    t = rng.choice(len(hour_p), n_main, p=hour_p) * HOUR + rng.integers(0, HOUR, n_main)
    parent = rng.integers(0, n_main, n_follow)
    b = np.concatenate([b, b[parent]])
    gap = rng.exponential(45 * 60e6, n_follow).astype(np.int64)
    after = t[parent] + gap  # near the end of the window the follow-up comes first instead
    t = np.concatenate([t, np.where(after < days * DAY, after, np.maximum(t[parent] - gap, 0))])
    k = np.minimum(np.where(rng.random(n) < 0.7, 0, rng.integers(0, 3, n)), ndev[b] - 1)
    dev = np.where(family[hh[b]] & (rng.random(n) < 0.5), ndev.sum() + hh[b], dev0[b] + k)
    dev[n_main:] = np.where(rng.random(n_follow) < 0.85, dev[parent], dev[n_main:])
    # shared terminals (office PCs, store kiosks, internet cafes) see many honest accounts
    n_kiosk = max(2, nb // 1500)
    kiosk = rng.random(n) < 0.01
    dev = np.where(kiosk, ndev.sum() + nh + rng.integers(0, n_kiosk, n), dev)

    # 15% of buyers sign up inside the window shortly before their first order
    first = np.full(nb, np.iinfo(np.int64).max)
    np.minimum.at(first, b, t)
    new = (rng.random(nb) < 0.15) & (first < days * DAY)
    age0 = np.clip(rng.lognormal(np.log(500), 0.9, nb), 1, 4000) * DAY
    signup = np.where(new, first - rng.exponential(0.7 * DAY, nb), -age0).astype(np.int64)
    age = (t - signup[b]) // DAY
    cat = rng.choice(len(CATEGORIES), n, p=CAT_P)
    amount = _amounts(rng, cat, CAT_MEDIAN[cat], CAT_SIGMA[cat], GOOD_GIFT_P) * np.where(
        cat == GC, 1.0, spend[b])
    amount *= np.where((cat == EL) & (rng.random(n) < 0.03), rng.uniform(3, 7, n), 1.0)
    pay = rng.choice(len(PAYMENTS), n, p=GOOD_PAY_P)
    seller = _pick_sellers(rng, cat, sellers)
    refund_p = np.clip(sellers["refund_p"][seller] * CAT_REFUND[cat], 0, 0.8)
    ctx = {"nb": nb, "nd": int(ndev.sum()) + nh + n_kiosk, "signup": signup, "home": home,
           "act": act, "main_device": dev0}
    block = _block(
        rng, t=t, buyer=b, seller=seller, device=dev,
        ip=np.where(rng.random(n) < 0.8, hh_net[hh[b]] | (dev % 254 + 1),
                    _nets(rng, n, MOBILE_NETS) | rng.integers(1, 255, n)),
        amount=amount, cat=cat, home=home[b],
        country=np.where(rng.random(n) < 0.04, _foreign(rng, home[b], HOME_P), home[b]),
        pay=np.where((cat == GC) & (pay == GIFT), CARD, pay), signup=signup[b],
        promo=rng.random(n) < np.where(age < 7, 0.5, np.where(age < 30, 0.15, 0.06)),
        refunded=rng.random(n) < refund_p)
    return block, ctx


def _new_ids(ctx: dict, key: str, count: int) -> np.ndarray:
    ids = ctx[key] + np.arange(count)
    ctx[key] += count
    return ids


def _brushing(rng, n, days, sellers, ctx):
    g, G, _ = _groups(rng, n, 30, 120)
    n_buy, n_dev = rng.integers(4, 11, G), rng.integers(1, 4, G)
    buy0 = _new_ids(ctx, "nb", int(n_buy.sum()))[np.cumsum(n_buy) - n_buy]
    dev_ring = _new_ids(ctx, "nd", int(n_dev.sum()))[np.cumsum(n_dev) - n_dev]
    dev_own = _new_ids(ctx, "nd", int(n_buy.sum()))[np.cumsum(n_buy) - n_buy]
    local = (rng.random(n) * n_buy[g]).astype(np.int64)
    buyer = buy0[g] + local
    careful = rng.random(G) < 0.5  # rings that keep one device per account and refund less
    device = np.where(careful[g], dev_own[g] + local,
                      dev_ring[g] + (rng.random(n) * n_dev[g]).astype(np.int64))
    candidates = np.flatnonzero(np.isin(sellers["cat"], [FA, BE, HO, TO, SP]))
    # the same shops hire rings again and again, so their refunds build up a history
    shops = rng.choice(rng.choice(candidates, max(2, G // 3)), (G, 2))
    seller = shops[g, (rng.random(n) * rng.integers(1, 3, G)[g]).astype(np.int64)]
    start = _burst_starts(rng, G, days)
    t = _fit(rng, start[g] + (rng.random(n) * rng.uniform(2, 10, G)[g] * (1 + careful[g]) * DAY).astype(np.int64),
             g, G, days)
    acct_age = (np.clip(rng.lognormal(np.log(60), 1.0, int(n_buy.sum())), 3, 900) * DAY).astype(np.int64)
    home = rng.choice(len(COUNTRIES), G, p=HOME_P)[g]
    cat = sellers["cat"][seller]
    pay = rng.choice([WALLET, CARD, GIFT], n, p=[0.5, 0.4, 0.1])
    return _block(rng, t=t, buyer=buyer, seller=seller, device=device,
                  ip=_nets(rng, G, HOME_NETS)[g] | rng.integers(1, 6, n), cat=cat,
                  amount=rng.lognormal(np.log(np.where(careful[g], 22, 14)), 0.6), home=home, country=home,
                  pay=pay, signup=start[g] - acct_age[buyer - buy0[0]],
                  promo=rng.random(n) < 0.12, refunded=rng.random(n) < np.where(careful[g], 0.2, 0.5), refund_days=0.7)


def _promo_abuse(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 8, 40)
    per_acct = rng.integers(1, 3, G)  # one or two orders per fresh account
    local = pos // per_acct[g]
    n_acct = np.bincount(g, minlength=G) // per_acct + 1
    acct0 = _new_ids(ctx, "nb", int(n_acct.sum()))[np.cumsum(n_acct) - n_acct]
    buyer = acct0[g] + local
    farm = _new_ids(ctx, "nd", G)
    spoof = rng.random(G) < 0.4  # emulators that fake a new device per account
    device = np.where(spoof[g], _new_ids(ctx, "nd", int(n_acct.sum()))[buyer - acct0[0]],
                      farm[g])
    start = _burst_starts(rng, G, days)
    t = _fit(rng, start[g] + rng.integers(0, 5 * HOUR, n), g, G, days)
    first = np.full(ctx["nb"], np.iinfo(np.int64).max)
    np.minimum.at(first, buyer, t)
    aged = np.where(rng.random(G) < 0.3, rng.uniform(2, 30, G) * DAY, 0).astype(np.int64)
    signup = first[buyer] - aged[g] - rng.integers(0, 2 * HOUR, G)[g]
    home = rng.choice(len(COUNTRIES), G, p=HOME_P)[g]
    cat = rng.choice([GR, BE, FA, HO], n, p=[0.35, 0.3, 0.2, 0.15])
    return _block(rng, t=t, buyer=buyer, seller=_pick_sellers(rng, cat, sellers),
                  device=device, ip=_nets(rng, G, MOBILE_NETS)[g] | rng.integers(1, 12, n),
                  cat=cat, amount=rng.lognormal(np.log(22), 0.3, n), home=home, country=home,
                  pay=rng.choice([WALLET, CARD, COD], n, p=[0.5, 0.35, 0.15]),
                  signup=signup, promo=rng.random(n) < 0.85, refunded=rng.random(n) < 0.08)


def _cash_out(rng, n, cat_p):
    cat = rng.choice([EL, GC, SP, FA], n, p=cat_p)
    return cat, _amounts(rng, cat, np.where(cat == EL, 400.0, 150.0), 0.8, BAD_GIFT_P)


def _stolen_card(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 1, 4)
    buyer = _new_ids(ctx, "nb", G)[g]
    device = _new_ids(ctx, "nd", G)
    farms = _new_ids(ctx, "nd", max(1, G // 8))
    device = np.where(rng.random(G) < 0.2, farms[rng.integers(0, len(farms), G)], device)[g]
    start = _burst_starts(rng, G, days)
    t = _fit(rng, start[g] + _session_offsets(rng, g, pos, 8), g, G, days)
    new = rng.random(G) < 0.45
    age = np.where(new, rng.uniform(0, 2, G), rng.uniform(10, 400, G)) * DAY
    home = rng.choice(len(COUNTRIES), G, p=FRAUD_P)
    away = rng.random(G) < np.where(new, 0.4, 0.55)
    country = np.where(away, _foreign(rng, home, FRAUD_P), home)
    cat, amount = _cash_out(rng, n, [0.45, 0.3, 0.15, 0.1])
    return _block(rng, t=t, buyer=buyer, seller=_pick_sellers(rng, cat, sellers),
                  device=device, ip=_nets(rng, n, PROXY_NETS) | rng.integers(1, 255, n),
                  cat=cat, amount=amount, home=home[g], country=country[g],
                  pay=np.where(rng.random(n) < 0.9, CARD, WALLET),
                  signup=(start - age.astype(np.int64))[g], promo=rng.random(n) < 0.03,
                  refunded=rng.random(n) < 0.05)


def _account_takeover(rng, n, days, sellers, ctx):
    g, G, pos = _groups(rng, n, 1, 3)
    old = np.flatnonzero(ctx["signup"] < -180 * DAY)  # victims are established customers
    p = ctx["act"][old]
    victim = old[rng.choice(len(old), G, p=p / p.sum())]
    start = _burst_starts(rng, G, days)
    t = _fit(rng, start[g] + _session_offsets(rng, g, pos, 15), g, G, days)
    home = ctx["home"][victim]
    # a few take over the victim's own phone (remote-access scams): same device, same country
    hijack = rng.random(G) < 0.1
    country = np.where(~hijack & (rng.random(G) < 0.75), _foreign(rng, home, FRAUD_P), home)
    cat, amount = _cash_out(rng, n, [0.5, 0.3, 0.1, 0.1])
    return _block(rng, t=t, buyer=victim[g], seller=_pick_sellers(rng, cat, sellers),
                  device=np.where(hijack, ctx["main_device"][victim], _new_ids(ctx, "nd", G))[g],
                  ip=_nets(rng, n, np.r_[PROXY_NETS, HOME_NETS]) | rng.integers(1, 255, n),
                  cat=cat, amount=amount, home=home[g], country=country[g],
                  pay=np.where(rng.random(n) < 0.7, CARD, WALLET),
                  signup=ctx["signup"][victim][g], promo=rng.random(n) < 0.02,
                  refunded=rng.random(n) < 0.03)


def _count_before(ev_key, ev_t, q_key, q_t, inclusive=False) -> np.ndarray:
    """Per query, the events with the same key and time < q_t (<= if inclusive). Vectorised:
    replace times by ranks in the sorted event times, so key*m + rank fits in int64."""
    ts = np.sort(ev_t)
    m = len(ts) + 1
    keyed = np.sort(ev_key[np.argsort(ev_t, kind="stable")] * m + np.arange(len(ts)))
    q = q_key * m + np.searchsorted(ts, q_t, side="right" if inclusive else "left")
    return np.searchsorted(keyed, q) - np.searchsorted(keyed, q_key * m)


def _features(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    t, buyer, device, seller = b["t"], b["buyer"], b["device"], b["seller"]
    f = {"buyer_orders_24h": _count_before(buyer, t, buyer, t)
         - _count_before(buyer, t, buyer, t - DAY)}
    # distinct buyers on a device in (t-7d, t]: each use opens an interval [s, s+7d) cut at the
    # same buyer's next use on that device; the open intervals at t are the distinct buyers
    pair = buyer * (int(device.max()) + 1) + device
    o = np.argsort(pair, kind="stable")  # rows are in time order, so each pair stays in order
    first = np.r_[True, pair[o][1:] != pair[o][:-1]]
    nxt = np.full(len(t), np.iinfo(np.int64).max)
    nxt[o[:-1][~first[1:]]] = t[o][1:][~first[1:]]
    end = np.minimum(nxt, t + 7 * DAY)
    f["accounts_per_device_7d"] = (_count_before(device, t, device, t, inclusive=True)
                                   - _count_before(device, end, device, t, inclusive=True))
    f["device_new_for_buyer"] = np.empty(len(t), bool)
    f["device_new_for_buyer"][o] = first
    # refunded share of the seller's orders placed in [t-30d, t), counting only refunds that
    # happened before t; refunds take < 30 days, so every refund of an older order is known
    r = b["refunded"]
    placed = _count_before(seller, t, seller, t) - _count_before(seller, t, seller, t - 30 * DAY)
    known = (_count_before(seller[r], t[r] + b["delay"][r], seller, t)
             - _count_before(seller[r], t[r], seller, t - 30 * DAY))
    f["seller_refund_rate_30d"] = np.round(known / np.maximum(placed, 1), 4)
    # the buyer's mean earlier amount, from integer cents so the prefix sums are exact
    cents = np.rint(b["amount"] * 100).astype(np.int64)
    ob = np.argsort(buyer, kind="stable")
    c = np.cumsum(cents[ob])
    start = np.r_[True, buyer[ob][1:] != buyer[ob][:-1]]
    base = np.maximum.accumulate(np.where(start, c - cents[ob], 0))
    k = np.arange(len(t)) - np.maximum.accumulate(np.where(start, np.arange(len(t)), 0))
    prev = np.empty(len(t), np.int64)
    prev[ob] = c - cents[ob] - base
    count = np.empty(len(t), np.int64)
    count[ob] = k
    f["amount_vs_buyer_avg"] = np.round(
        np.where(count > 0, cents * np.maximum(count, 1) / np.maximum(prev, 1), 1.0), 4)
    return f
