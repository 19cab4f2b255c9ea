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

from riskctl.discover.peel import Degrees, Peeled, trimmed


def assess(
    ea: np.ndarray, ei: np.ndarray, n_acct: int, n_item: int, blocks: list[Peeled]
) -> list[tuple[Peeled, float]]:
    """Each peeled block cut to its most surprising entities (`peel.trimmed`), with its
    p-value, in the graph of edges `ea`, `ei` (distinct pairs)."""
    degrees = Degrees.of(ea, ei, n_acct, n_item)
    out = []
    for b in blocks:
        kept, log_p = trimmed(ea, ei, b, degrees)
        out.append((kept, math.exp(min(0.0, log_p))))
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
