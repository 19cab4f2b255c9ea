"""How good buyers and each attack pattern behave: who orders when, from which device,
network and country, how much, and what gets refunded (see `generate.py` for the story)."""

from __future__ import annotations

import numpy as np

from riskctl.synth.world import (
    BAD_GIFT_P,
    BE,
    CARD,
    CAT_MEDIAN,
    CAT_P,
    CAT_REFUND,
    CAT_SIGMA,
    CATEGORIES,
    COD,
    COUNTRIES,
    DAY,
    EL,
    FA,
    FRAUD_HOURLY,
    FRAUD_P,
    GC,
    GIFT,
    GIFT_DENOMS,
    GOOD_GIFT_P,
    GOOD_PAY_P,
    GR,
    HO,
    HOME_NETS,
    HOME_P,
    HOUR,
    MOBILE_NETS,
    PAYMENTS,
    PROXY_NETS,
    SP,
    TO,
    WALLET,
)


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


def _kiosks(
    rng: np.random.Generator, n: int, n_kiosk: int, first_id: int, dev: np.ndarray, ip: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shared terminals (offices, store kiosks, internet cafes) see many honest accounts."""
    kiosk = np.where(rng.random(n) < 0.01, rng.integers(0, n_kiosk, n), -1)
    dev = np.where(kiosk >= 0, first_id + kiosk, dev)
    ip = np.where(kiosk >= 0, _nets(rng, n_kiosk, HOME_NETS)[kiosk] | 7, ip)
    return dev, ip


def _signups(
    rng: np.random.Generator, nb: int, b: np.ndarray, t: np.ndarray, days: int
) -> np.ndarray:
    """15% of buyers sign up inside the window, shortly before their first order."""
    first = np.full(nb, np.iinfo(np.int64).max)
    np.minimum.at(first, b, t)
    new = (rng.random(nb) < 0.15) & (first < days * DAY)
    age0 = np.clip(rng.lognormal(np.log(500), 0.9, nb), 1, 4000) * DAY
    return np.where(new, first - rng.exponential(0.7 * DAY, nb), -age0).astype(np.int64)


def good_orders(rng: np.random.Generator, n: int, days: int, traffic: np.ndarray, sellers: dict):
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
    n_main = n - n_follow  # the rest are first orders
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
    n_kiosk = max(2, nb // 1500)
    dev, ip = _kiosks(rng, n, n_kiosk, int(ndev.sum()) + nh, dev, ip)

    signup = _signups(rng, nb, b, t, days)
    age = (t - signup[b]) // DAY
    cat = rng.choice(len(CATEGORIES), n, p=CAT_P)
    amount = _amounts(rng, cat, CAT_MEDIAN[cat], CAT_SIGMA[cat], GOOD_GIFT_P)
    amount *= np.where(cat == GC, 1.0, spend[b])
    amount *= np.where((cat == EL) & (rng.random(n) < 0.03), rng.uniform(3, 7, n), 1.0)
    pay = rng.choice(len(PAYMENTS), n, p=GOOD_PAY_P)
    seller = _pick_sellers(rng, cat, sellers)
    nd = int(ndev.sum()) + nh + n_kiosk
    ctx = {"nb": nb, "nd": nd, "signup": signup, "home": home, "act": act, "main_device": dev0}
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


def brushing_orders(rng, n, days, sellers, ctx):
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


def promo_abuse_orders(rng, n, days, sellers, ctx):
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


def stolen_card_orders(rng, n, days, sellers, ctx):
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


def account_takeover_orders(rng, n, days, sellers, ctx):
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
