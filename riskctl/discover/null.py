"""How surprising a block is, against a null model that keeps every account's and every
entity's degree, and false-discovery control across the blocks reported.

Under the null, the edges of a window join accounts and entities at random with each node's
degree kept (a degree-preserving shuffle of the edges' entity ends). The D_A edge ends of a
block's accounts then land on the block's entities, which hold D_B of the E edge ends, as a
hypergeometric draw, whose upper tail is at most the Chernoff bound
exp(-D_A * KL(m / D_A || D_B / E)) for m edges inside. The block was chosen, though, among
every set of its size: a union bound over the C(accounts, a) * C(entities, b) sets of a
accounts and b entities, and over the sizes (weighted 1 / (a^2 b^2), which sum to
(pi^2 / 6)^2), makes the p-value valid whatever the peeling picked. It is conservative: a block
from random data gets a p-value near 1; a lockstep block, far below any threshold.
"""

from __future__ import annotations

import math

import numpy as np

SIZE_PRIOR = 2 * math.log(math.pi**2 / 6)  # log of the union over block sizes


def kl_bernoulli(q: float, p: float) -> float:
    """KL(q || p) between Bernoulli laws; 0 when q <= p (no excess)."""
    if q <= p or p <= 0.0:
        return 0.0 if q <= p else math.inf
    if q >= 1.0:
        return -math.log(p)
    return q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p))


def log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def surprise(inside: int, account_ends: int, entity_ends: int, edges: int) -> float:
    """-log of the Chernoff bound on P(at least `inside` edges between the block's accounts,
    with `account_ends` edge ends, and its entities, with `entity_ends`, among `edges`)."""
    if account_ends == 0 or edges == 0:
        return 0.0
    q = min(1.0, inside / account_ends)
    return account_ends * kl_bernoulli(q, entity_ends / edges)


def block_p_value(
    inside: int,
    accounts: int,
    items: int,
    account_ends: int,
    entity_ends: int,
    n_acct: int,
    n_item: int,
    edges: int,
) -> float:
    """The block's p-value: the union bound over every block of its size (see above)."""
    log_p = (
        -surprise(inside, account_ends, entity_ends, edges)
        + log_choose(n_acct, accounts)
        + log_choose(n_item, items)
        + 2 * math.log(accounts)
        + 2 * math.log(items)
        + SIZE_PRIOR
    )
    return math.exp(min(0.0, log_p))


def graph_p_values(
    ea: np.ndarray, ei: np.ndarray, n_acct: int, n_item: int, blocks: list
) -> list[float]:
    """Each peeled block's p-value in the graph of edges `ea`, `ei` (distinct pairs)."""
    deg_a = np.bincount(ea, minlength=n_acct)
    deg_i = np.bincount(ei, minlength=n_item)
    n_a, n_i = int((deg_a > 0).sum()), int((deg_i > 0).sum())
    out = []
    for b in blocks:
        inside = int((np.isin(ea, b.accounts) & np.isin(ei, b.items)).sum())
        out.append(
            block_p_value(
                inside,
                len(b.accounts),
                len(b.items),
                int(deg_a[b.accounts].sum()),
                int(deg_i[b.items].sum()),
                n_a,
                n_i,
                len(ea),
            )
        )
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given."""
    m = len(p)
    if m == 0:
        return np.zeros(0)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out
