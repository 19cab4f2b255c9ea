"""A union-find that remembers time, compiled with numba: built once from a ring's distinct
links and bad-label events, it answers "how large was this account's ring, and how many of
its accounts were bad, just before time t" for any row, on any worker.

Links join in time order (union by size, no path compression, so a node's parent never
changes once set and every node keeps the time it got its parent); each root keeps the list
of (time, members, bad) it had after each change. The ring of node x at time t: follow
parents set at or before t, then take the root's last entry at or before t. A link first
seen at t0 is visible from t0 + 1 (strictly later rows), a matured label from its time on:
the same rule as the one-machine replay.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from riskctl.features.ring_kernels import add_ring

NEVER = np.iinfo(np.int64).max


@njit(nogil=True, cache=True)
def _root(parent, x):  # pragma: no cover - jitted
    while parent[x] != x:
        x = parent[x]
    return x


@njit(nogil=True, cache=True)
def build(n_nodes, n_acct, u_when, u_a, u_b, e_when, e_a):  # pragma: no cover - jitted
    """Apply unions and bad events in time order (`*_when`: the first time each is visible,
    both sorted); return parents, parent times and the history entries (node, when,
    members, bad) in the order they happened."""
    parent = np.arange(n_nodes)
    since = np.full(n_nodes, NEVER, dtype=np.int64)
    weight = np.ones(n_nodes, dtype=np.int64)
    members = np.zeros(n_nodes, dtype=np.int64)
    members[:n_acct] = 1
    bad = np.zeros(n_nodes, dtype=np.int64)
    is_bad = np.zeros(n_acct, dtype=np.bool_)
    n_ops = len(u_when) + len(e_when)
    h_node = np.empty(n_ops, dtype=np.int64)
    h_when = np.empty(n_ops, dtype=np.int64)
    h_members = np.empty(n_ops, dtype=np.int64)
    h_bad = np.empty(n_ops, dtype=np.int64)
    h, i, e = 0, 0, 0
    while i < len(u_when) or e < len(e_when):
        if e < len(e_when) and (i >= len(u_when) or e_when[e] <= u_when[i]):
            a, when = e_a[e], e_when[e]
            e += 1
            if is_bad[a]:
                continue
            is_bad[a] = True
            r = _root(parent, a)
            bad[r] += 1
        else:
            ra, rb, when = _root(parent, u_a[i]), _root(parent, u_b[i]), u_when[i]
            i += 1
            if ra == rb:
                continue
            if weight[ra] < weight[rb]:
                ra, rb = rb, ra
            parent[rb], since[rb] = ra, when
            weight[ra] += weight[rb]
            members[ra] += members[rb]
            bad[ra] += bad[rb]
            r = ra
        h_node[h], h_when[h], h_members[h], h_bad[h] = r, when, members[r], bad[r]
        h += 1
    return parent, since, h_node[:h], h_when[:h], h_members[:h], h_bad[:h]


@njit(nogil=True, cache=True)
def _at(x, t, n_acct, start, when, members, bad):  # pragma: no cover - jitted
    lo, hi = start[x], start[x + 1]
    while lo < hi:  # the first entry after t
        mid = (lo + hi) // 2
        if when[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    if lo == start[x]:
        return (1 if x < n_acct else 0), 0
    return members[lo - 1], bad[lo - 1]


@njit(nogil=True, cache=True)
def query(t, acct, links, n_acct, parent, since, start, when, members, bad):  # pragma: no cover
    """Ring size and bad count per row: the row's account and its own links' rings just
    before the row's time, joined (a row sees its own links). `acct` -1: no account; -2:
    an account with no link and no label anywhere (a ring of one)."""
    n, width = links.shape
    size_out = np.zeros(n, dtype=np.int64)
    bad_out = np.zeros(n, dtype=np.int64)
    roots = np.empty(width + 1, dtype=np.int64)
    for r in range(n):
        if acct[r] < 0:
            size_out[r] = 1 if acct[r] == -2 else 0
            continue
        count = 0
        for col in range(width + 1):
            x = acct[r] if col == 0 else links[r, col - 1]
            if x < 0:
                continue
            while since[x] <= t[r]:
                x = parent[x]
            count = add_ring(roots, count, x)
        for q in range(count):
            m, b = _at(roots[q], t[r], n_acct, start, when, members, bad)
            size_out[r] += m
            bad_out[r] += b
    return size_out, bad_out
