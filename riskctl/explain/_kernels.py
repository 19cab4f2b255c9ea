"""Compiled kernels of the fast TreeSHAP engine (numba, compiled once and cached on disk).

The algorithm (path-dependent TreeSHAP, the values XGBoost's `pred_contribs` gives) is
described in `riskctl/explain/treeshap.py`; these are its two inner loops: the per-leaf
tables, once per model, and the walk over a block of rows, once per block and tree. Loops
run over the block's rows innermost so that they vectorise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# XGBoost reads a category as an int below 2**24; anything else goes the "not in set" way
MAX_CATEGORY = 16777216.0


@njit(nogil=True, cache=True)
def leaf_tables(
    u_start: np.ndarray,
    depth: np.ndarray,
    u_z: np.ndarray,
    value: np.ndarray,
    t_start: np.ndarray,
    out: np.ndarray,
) -> None:
    """For each leaf (value v, path features D with zero fractions z) and each hot set M:
    out[M] = v * prod_{j in D \\ M} z_j * sum_k w(k, d) e_{|M|-k}(z_M), with
    w(k, d) = k! (d-1-k)! / d! and e the elementary symmetric polynomials."""
    for leaf in range(depth.shape[0]):
        d = depth[leaf]
        if d == 0:
            continue
        z = u_z[u_start[leaf] : u_start[leaf] + d]
        w = np.empty(d)
        for k in range(d):
            w[k] = 1.0 / d
            for j in range(1, k + 1):  # k! (d-1-k)! / d! = prod_j j/(d-j) / d
                w[k] *= j / (d - j)
        esp = np.zeros((1 << d, d + 1))
        cold = np.ones(1 << d)  # product of the zero fractions outside M
        full = (1 << d) - 1
        esp[0, 0] = 1.0
        for s in range(d):
            cold[0] *= z[s]
        for m in range(1, 1 << d):
            low = 0
            while not (m >> low) & 1:
                low += 1
            prev = m & (m - 1)
            cold[m] = 1.0
            for s in range(d):
                if not (m >> s) & 1:
                    cold[m] *= z[s]
            esp[m, 0] = esp[prev, 0]
            for j in range(1, d + 1):
                esp[m, j] = esp[prev, j] + z[low] * esp[prev, j - 1]
        base = t_start[leaf]
        for m in range(full + 1):
            n_hot = 0
            for s in range(d):
                n_hot += (m >> s) & 1
            total = 0.0
            for k in range(min(n_hot, d - 1) + 1):
                total += w[k] * esp[m, n_hot - k]
            out[base + m] = value[leaf] * cold[m] * total


@njit(nogil=True, cache=True)
def _walk(
    xt: np.ndarray,
    n: int,
    rows: int,
    mask: np.ndarray,
    n0: int,
    node_feature: np.ndarray,
    node_threshold: np.ndarray,
    node_default_left: np.ndarray,
    node_cat: np.ndarray,
    node_children: np.ndarray,
    node_slot: np.ndarray,
    cat_bits: np.ndarray,
) -> None:
    """The children's hot sets from node n's: the side each row takes keeps it, the other
    loses the node's feature."""
    left, right = node_children[n, 0] - n0, node_children[n, 1] - n0
    me = n - n0
    x = xt[node_feature[n]]
    threshold = node_threshold[n]
    default_left = node_default_left[n]
    bit = np.int32(1) << np.int32(node_slot[n])
    c0, words = node_cat[n, 0], node_cat[n, 1]
    for r in range(rows):
        v = x[r]
        if v != v:
            go = default_left
        elif words == 0:
            go = v < threshold
        elif v < 0.0 or v >= MAX_CATEGORY or (int(v) >> 6) >= words:
            go = True
        else:
            c = int(v)
            go = not (cat_bits[c0 + (c >> 6)] >> np.uint64(c & 63)) & np.uint64(1)
        m = mask[me, r]
        lost = m & ~bit
        mask[left, r] = m if go else lost
        mask[right, r] = lost if go else m


@njit(nogil=True, cache=True)
def _leaf(
    out: np.ndarray,
    hot: np.ndarray,
    g: np.ndarray,
    leaf: int,
    leaf_u: np.ndarray,
    leaf_depth: np.ndarray,
    leaf_table: np.ndarray,
    u_feature: np.ndarray,
    u_ratio: np.ndarray,
    tables: np.ndarray,
) -> None:
    """The leaf's share for every row: -G[H] to each cold feature, (1 - z_i) / z_i *
    G[H without i] to a hot one (G the leaf's table, H the row's hot set)."""
    d = leaf_depth[leaf]
    if d == 0:
        return
    u0, base = leaf_u[leaf], leaf_table[leaf]
    full = (np.int32(1) << np.int32(d)) - np.int32(1)
    for r in range(hot.shape[0]):
        hot[r] = hot[r] & full
        g[r] = -tables[base + hot[r]]
    for s in range(d):
        ratio = u_ratio[u0 + s]
        bit = np.int32(1) << np.int32(s)
        o = out[u_feature[u0 + s]]
        for r in range(hot.shape[0]):
            h = hot[r]
            o[r] += ratio * tables[base + (h ^ bit)] if h & bit else g[r]


@njit(nogil=True, cache=True)
def shap_block(
    x: np.ndarray,
    out: np.ndarray,
    tree_node: np.ndarray,
    node_feature: np.ndarray,
    node_threshold: np.ndarray,
    node_default_left: np.ndarray,
    node_cat: np.ndarray,
    node_children: np.ndarray,
    node_slot: np.ndarray,
    cat_bits: np.ndarray,
    leaf_u: np.ndarray,
    leaf_depth: np.ndarray,
    leaf_table: np.ndarray,
    u_feature: np.ndarray,
    u_ratio: np.ndarray,
    tables: np.ndarray,
) -> None:
    """Adds every tree's SHAP values for the rows of x (rows x features, float32) to out
    (features x rows, float64); the arrays are described in parse_trees.ModelArrays."""
    rows = x.shape[0]
    xt = np.ascontiguousarray(x.T)
    mask = np.empty((np.max(np.diff(tree_node)), rows), dtype=np.int32)
    g = np.empty(rows)
    for t in range(tree_node.shape[0] - 1):
        n0 = tree_node[t]
        mask[0, :] = -1
        for n in range(n0, tree_node[t + 1]):
            if node_children[n, 0] >= 0:
                _walk(
                    xt,
                    n,
                    rows,
                    mask,
                    n0,
                    node_feature,
                    node_threshold,
                    node_default_left,
                    node_cat,
                    node_children,
                    node_slot,
                    cat_bits,
                )
                continue
            leaf = node_children[n, 1]
            _leaf(
                out,
                mask[n - n0],
                g,
                leaf,
                leaf_u,
                leaf_depth,
                leaf_table,
                u_feature,
                u_ratio,
                tables,
            )
