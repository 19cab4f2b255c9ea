"""The union-find replay behind rings, compiled with numba (loaded only when a spec has a
ring, so other commands start without it)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(nogil=True, cache=True)
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


@njit(nogil=True, cache=True)
def add_ring(roots: np.ndarray, count: int, x: int) -> int:  # pragma: no cover - jitted
    """Append ring root `x` to `roots[:count]` unless already there (a row's links may share a
    ring); the new count."""
    for q in range(count):
        if roots[q] == x:
            return count
    roots[count] = x
    return count + 1


def new_state(n_nodes: int, n_acct: int) -> tuple[np.ndarray, ...]:
    """The union-find over accounts and linked values before any row: parent, weight,
    members (accounts under a root), bad (matured bad accounts under a root), is_bad."""
    members = np.zeros(n_nodes, dtype=np.int64)
    members[:n_acct] = 1
    return (
        np.arange(n_nodes, dtype=np.int64),
        np.ones(n_nodes, dtype=np.int64),
        members,
        np.zeros(n_nodes, dtype=np.int64),
        np.zeros(n_acct, dtype=np.bool_),
    )


@njit(nogil=True, cache=True)
def replay(t, acct, links, state, ev_time, ev_acct, e):  # pragma: no cover - jitted
    """Rows in time order (a run of rows at one time whole) through the union-find `state`,
    which carries over to the next call; bad-label events from position `e` on. Returns
    each row's ring size and matured bad accounts, and the next event position."""
    parent, weight, members, bad, is_bad = state
    n, width = links.shape
    size_out = np.zeros(n, dtype=np.int64)
    bad_out = np.zeros(n, dtype=np.int64)
    roots = np.empty(width + 1, dtype=np.int64)
    i = 0
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
                    count = add_ring(roots, count, _find(parent, links[r, col]))
            for q in range(count):
                size_out[r] += members[roots[q]]
                bad_out[r] += bad[roots[q]]
        for r in range(i, j):
            if acct[r] >= 0:
                for col in range(width):
                    if links[r, col] >= 0:
                        _union(parent, weight, members, bad, acct[r], links[r, col])
        i = j
    return size_out, bad_out, e
