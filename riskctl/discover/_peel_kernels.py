"""Greedy peeling of a weighted bipartite graph, compiled with numba: a binary heap keyed
on each node's weighted degree among the nodes still in, updated lazily (a node's stale
entries are skipped when popped), so one peel takes O(E log V)."""

from __future__ import annotations

import numpy as np
from numba import njit


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
def peel(ea, ei, w, n_acct, n_item, min_accounts):  # pragma: no cover - jitted
    """Remove, one at a time, the node whose edges to the nodes still in weigh least;
    return the removal order and how many removals leave the densest state seen
    (g = edge weight inside / nodes inside) with at least `min_accounts` accounts and one
    item, and that density (-1.0 when no state qualifies)."""
    n_nodes = n_acct + n_item
    start, edges = _adjacency(ea, ei, n_acct, n_nodes)
    prio = np.zeros(n_nodes, dtype=np.float64)
    for e in range(len(ea)):
        prio[ea[e]] += w[e]
        prio[n_acct + ei[e]] += w[e]
    alive = np.zeros(n_nodes, dtype=np.bool_)
    keys = np.empty(n_nodes + len(ea) + 1, dtype=np.float64)
    nodes = np.empty(n_nodes + len(ea) + 1, dtype=np.int64)
    size, inside, accts, items, total = 0, 0, 0, 0, 0.0
    for v in range(n_nodes):
        if start[v + 1] > start[v]:
            alive[v] = True
            inside += 1
            if v < n_acct:
                accts += 1
            else:
                items += 1
            size = _push(keys, nodes, size, prio[v], v)
    for e in range(len(ea)):
        total += w[e]
    order = np.empty(inside, dtype=np.int64)
    best, best_k, k = -1.0, 0, 0
    while inside > 0:
        if accts >= min_accounts and items >= 1 and total / inside > best:
            best, best_k = total / inside, k
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
        else:
            items -= 1
        for p in range(start[v], start[v + 1]):
            e = edges[p]
            u = ei[e] + n_acct if v < n_acct else ea[e]
            if alive[u]:
                total -= w[e]
                prio[u] -= w[e]
                size = _push(keys, nodes, size, prio[u], u)
    return order, best_k, best
