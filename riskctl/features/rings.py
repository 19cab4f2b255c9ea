"""Rings: the connected component of a row's account in the graph whose edges join an
account to every entity value (device, IP, card) it used, point-in-time.

Rows are replayed in time order through a union-find. A row sees the graph built from the
rows strictly before its time plus its own edges (rows at the same time, other than itself,
are left out); labels count once matured: a bad label on a row at time s marks its account
bad for rows at time s + maturity and later. Near-linear time, one pass.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from riskctl.features.index import NULL
from riskctl.features.windows import with_nulls


@njit(cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def _union(parent: np.ndarray, weight: np.ndarray, members: np.ndarray, bad: np.ndarray, a, b):
    ra, rb = _find(parent, a), _find(parent, b)
    if ra == rb:
        return
    if weight[ra] < weight[rb]:
        ra, rb = rb, ra
    parent[rb] = ra
    weight[ra] += weight[rb]
    members[ra] += members[rb]
    bad[ra] += bad[rb]


@njit(cache=True)
def _replay(t, acct, links, n_nodes, n_acct, ev_time, ev_acct):  # pragma: no cover - jitted
    n, width = links.shape
    parent = np.arange(n_nodes)
    weight = np.ones(n_nodes, dtype=np.int64)
    members = np.zeros(n_nodes, dtype=np.int64)
    members[:n_acct] = 1
    bad = np.zeros(n_nodes, dtype=np.int64)
    is_bad = np.zeros(n_acct, dtype=np.bool_)
    size_out = np.zeros(n, dtype=np.int64)
    bad_out = np.zeros(n, dtype=np.int64)
    roots = np.empty(width + 1, dtype=np.int64)
    e, i = 0, 0
    while i < n:
        j = i
        while j < n and t[j] == t[i]:
            j += 1
        while e < len(ev_time) and ev_time[e] <= t[i]:
            a = ev_acct[e]
            if not is_bad[a]:
                is_bad[a] = True
                bad[_find(parent, a)] += 1
            e += 1
        for r in range(i, j):
            if acct[r] < 0:
                continue
            roots[0] = _find(parent, acct[r])
            count = 1
            for col in range(width):
                if links[r, col] >= 0:
                    x = _find(parent, links[r, col])
                    seen = False
                    for q in range(count):
                        seen = seen or roots[q] == x
                    if not seen:
                        roots[count] = x
                        count += 1
            for q in range(count):
                size_out[r] += members[roots[q]]
                bad_out[r] += bad[roots[q]]
        for r in range(i, j):
            if acct[r] >= 0:
                for col in range(width):
                    if links[r, col] >= 0:
                        _union(parent, weight, members, bad, acct[r], links[r, col])
        i = j
    return size_out, bad_out


def ring_features(
    name: str,
    t: np.ndarray,
    account: np.ndarray,
    links: list[np.ndarray],
    measure: str,
    bad_label: np.ndarray | None = None,
    maturity_us: int = 0,
) -> pl.Series:
    """Ring size (accounts) or matured bad rate for every row; null without an account."""
    n_acct = int(account.max(initial=-1)) + 1
    columns, offset = [], n_acct
    for codes in links:
        columns.append(np.where(codes == NULL, NULL, codes + offset))
        offset += int(codes.max(initial=-1)) + 1
    order = np.argsort(t, kind="stable")
    link_matrix = np.ascontiguousarray(np.stack(columns, axis=1)[order]).astype(np.int64)
    if bad_label is None:
        ev_time = ev_acct = np.zeros(0, dtype=np.int64)
    else:
        events = np.flatnonzero(bad_label & (account != NULL))
        ev_order = np.argsort(t[events], kind="stable")
        ev_time = t[events][ev_order] + np.int64(maturity_us)
        ev_acct = account[events][ev_order].astype(np.int64)
    size_sorted, bad_sorted = _replay(
        t[order], account[order].astype(np.int64), link_matrix, offset, n_acct, ev_time, ev_acct
    )
    size, bad = np.empty_like(size_sorted), np.empty_like(bad_sorted)
    size[order], bad[order] = size_sorted, bad_sorted
    missing = account == NULL
    if measure == "size":
        return with_nulls(name, size, missing)
    return with_nulls(name, bad / np.maximum(size, 1), missing)
