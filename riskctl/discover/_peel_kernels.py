"""Greedy peeling of a weighted bipartite graph, compiled with numba: a binary heap keyed
on each node's weighted degree among the nodes still in, updated lazily (a node's stale
entries are skipped when popped), so one peel takes O(E log V)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SIZE_PRIOR = 2 * math.log(math.pi**2 / 6)  # log of the union over block sizes (null.py)


@njit(nogil=True, cache=True)
def _log_choose(n, k):  # pragma: no cover - jitted
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


@njit(nogil=True, cache=True)
def surprise(inside, account_ends, entity_ends, edges):  # pragma: no cover - jitted
    """-log of the Chernoff bound on P(at least `inside` edges between a block's accounts,
    with `account_ends` edge ends, and its entities, with `entity_ends`, among `edges`):
    account_ends * KL(inside / account_ends || entity_ends / edges), 0 without excess."""
    if account_ends <= 0 or edges <= 0:
        return 0.0
    q = min(1.0, inside / account_ends)
    p = entity_ends / edges
    if q <= p:
        return 0.0
    if p <= 0.0:
        return np.inf
    if q >= 1.0:
        return -account_ends * math.log(p)
    return account_ends * (q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p)))


@njit(nogil=True, cache=True)
def log_p_value(
    inside, accounts, items, account_ends, entity_ends, n_acct, n_item, edges
):  # pragma: no cover - jitted
    """The log of a block's p-value before capping at 0: the Chernoff bound union-bounded
    over every block of its size and over sizes (see null.py)."""
    if accounts <= 0 or items <= 0:
        return 0.0
    return (
        -surprise(inside, account_ends, entity_ends, edges)
        + _log_choose(n_acct, accounts)
        + _log_choose(n_item, items)
        + 2 * math.log(accounts)
        + 2 * math.log(items)
        + SIZE_PRIOR
    )


@njit(nogil=True, cache=True)
def _less(keys, nodes, i, j):  # pragma: no cover - jitted
    """Heap order: smaller weighted degree first, then the smaller node id (deterministic)."""
    if keys[i] != keys[j]:
        return keys[i] < keys[j]
    return nodes[i] < nodes[j]


@njit(nogil=True, cache=True)
def _push(keys, nodes, size, key, node):  # pragma: no cover - jitted
    i = size
    keys[i] = key
    nodes[i] = node
    while i > 0:
        parent = (i - 1) // 2
        if not _less(keys, nodes, i, parent):
            break
        keys[i], keys[parent] = keys[parent], keys[i]
        nodes[i], nodes[parent] = nodes[parent], nodes[i]
        i = parent
    return size + 1


@njit(nogil=True, cache=True)
def _pop(keys, nodes, size):  # pragma: no cover - jitted
    """Move the smallest entry to position `size - 1`; the new size."""
    size -= 1
    keys[0], keys[size] = keys[size], keys[0]
    nodes[0], nodes[size] = nodes[size], nodes[0]
    i = 0
    while True:
        left, right, low = 2 * i + 1, 2 * i + 2, i
        if left < size and _less(keys, nodes, left, low):
            low = left
        if right < size and _less(keys, nodes, right, low):
            low = right
        if low == i:
            break
        keys[i], keys[low] = keys[low], keys[i]
        nodes[i], nodes[low] = nodes[low], nodes[i]
        i = low
    return size


@njit(nogil=True, cache=True)
def _adjacency(ea, ei, n_acct, n_nodes):  # pragma: no cover - jitted
    """CSR of edge ids per node (accounts 0..n_acct-1, then items)."""
    start = np.zeros(n_nodes + 1, dtype=np.int64)
    for e in range(len(ea)):
        start[ea[e] + 1] += 1
        start[n_acct + ei[e] + 1] += 1
    for v in range(n_nodes):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    edges = np.empty(2 * len(ea), dtype=np.int64)
    for e in range(len(ea)):
        edges[fill[ea[e]]] = e
        fill[ea[e]] += 1
        edges[fill[n_acct + ei[e]]] = e
        fill[n_acct + ei[e]] += 1
    return start, edges


@njit(nogil=True, cache=True)
def _start(ea, ei, w, n_acct, n_nodes, start):  # pragma: no cover - jitted
    """Each node's weighted degree, which nodes have an edge, and the heap holding them."""
    prio = np.zeros(n_nodes, dtype=np.float64)
    for e in range(len(ea)):
        prio[ea[e]] += w[e]
        prio[n_acct + ei[e]] += w[e]
    alive = np.zeros(n_nodes, dtype=np.bool_)
    keys = np.empty(n_nodes + len(ea) + 1, dtype=np.float64)
    nodes = np.empty(n_nodes + len(ea) + 1, dtype=np.int64)
    size = 0
    for v in range(n_nodes):
        if start[v + 1] > start[v]:
            alive[v] = True
            size = _push(keys, nodes, size, prio[v], v)
    return prio, alive, keys, nodes, size


@njit(nogil=True, cache=True)
def peel(
    ea, ei, w, n_acct, n_item, min_accounts, deg_a, deg_i, n_a, n_i, n_edges
):  # pragma: no cover - jitted
    """Remove, one at a time, the node whose edges to the nodes still in weigh least.
    Return the removal order; how many removals leave the densest state seen
    (g = edge weight inside / nodes inside) with at least `min_accounts` accounts and one
    item, and that density (-1.0 when no state qualifies); and how many leave the state
    with the smallest log p-value (`log_p_value` with the whole graph's degrees `deg_a`,
    `deg_i`, node counts `n_a`, `n_i` and `n_edges` edges), and that log p-value."""
    n_nodes = n_acct + n_item
    start, edges = _adjacency(ea, ei, n_acct, n_nodes)
    prio, alive, keys, nodes, size = _start(ea, ei, w, n_acct, n_nodes, start)
    inside, accts, ends_a, ends_i = 0, 0, 0, 0
    for v in range(n_nodes):
        if alive[v]:
            inside += 1
            if v < n_acct:
                accts += 1
                ends_a += deg_a[v]
            else:
                ends_i += deg_i[v - n_acct]
    items, total, m = inside - accts, w.sum(), len(ea)
    order = np.empty(inside, dtype=np.int64)
    best, best_k, k = -1.0, 0, 0
    best_lp, best_lk = 0.0, 0  # log p-values below 0 only: p < 1
    while inside > 0:
        if accts >= min_accounts and items >= 1:
            if total / inside > best:
                best, best_k = total / inside, k
            lp = log_p_value(m, accts, items, ends_a, ends_i, n_a, n_i, n_edges)
            if lp < best_lp:
                best_lp, best_lk = lp, k
        size = _pop(keys, nodes, size)
        v = nodes[size]
        if not alive[v] or keys[size] != prio[v]:
            continue  # a stale entry
        alive[v] = False
        order[k] = v
        k += 1
        inside -= 1
        if v < n_acct:
            accts -= 1
            ends_a -= deg_a[v]
        else:
            items -= 1
            ends_i -= deg_i[v - n_acct]
        for p in range(start[v], start[v + 1]):
            e = edges[p]
            u = ei[e] + n_acct if v < n_acct else ea[e]
            if alive[u]:
                m -= 1
                total -= w[e]
                prio[u] -= w[e]
                size = _push(keys, nodes, size, prio[u], u)
    return order, best_k, best, best_lk, best_lp
