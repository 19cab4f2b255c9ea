"""Dense blocks in an account x item graph by FRAUDAR's camouflage-resistant greedy peeling
(Hooi et al., KDD 2016).

Each edge weighs 1 / log(d + 5), d being its item's degree: an edge to a popular item (where
fraudsters hide camouflage) counts little. A set S of accounts and items has density
g(S) = (weight of the edges inside S) / |S|. Peeling removes, one at a time, the node whose
edges to the rest weigh least, and keeps the densest state seen: its density is at least half
the densest set's. A block found is taken out (its accounts, with all their edges: an
account belongs to one block) and the peeling repeats on the rest, so that the blocks after a
large, merely busy core are the small dense groups beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskctl.discover._peel_kernels import log_p_value, peel


@dataclass(frozen=True)
class Peeled:
    """One dense block: account and item indices (sorted), its density g and inside edges."""

    accounts: np.ndarray
    items: np.ndarray
    density: float
    edges: int


def among(ends: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Which of the edge ends `ends` (node indices) are among the nodes `chosen`."""
    if len(ends) == 0:
        return np.zeros(0, dtype=bool)
    size = max(int(ends.max()), int(chosen.max()) if len(chosen) else 0) + 1
    mask = np.zeros(size, dtype=bool)
    mask[chosen] = True
    return mask[ends]


def item_weights(ei: np.ndarray, n_item: int) -> np.ndarray:
    """Each edge's weight 1 / log(item degree + 5)."""
    degree = np.bincount(ei, minlength=n_item)
    return 1.0 / np.log(degree[ei] + 5.0)


@dataclass(frozen=True)
class Degrees:
    """The whole graph's degrees, for p-values of states of a peel of part of it."""

    accounts: np.ndarray
    items: np.ndarray
    edges: int

    @classmethod
    def of(cls, ea: np.ndarray, ei: np.ndarray, n_acct: int, n_item: int) -> Degrees:
        deg_a = np.bincount(ea, minlength=n_acct).astype(np.int64)
        deg_i = np.bincount(ei, minlength=n_item).astype(np.int64)
        return cls(deg_a, deg_i, len(ea))


def _state(ea, ei, w, order: np.ndarray, k: int, n_acct: int) -> Peeled:
    kept = order[k:]
    accounts = np.sort(kept[kept < n_acct])
    items = np.sort(kept[kept >= n_acct] - n_acct)
    inside = among(ea, accounts) & among(ei, items)
    size = len(accounts) + len(items)
    return Peeled(accounts, items, float(w[inside].sum()) / size, int(inside.sum()))


def _peel(ea, ei, w, n_acct, n_item, min_accounts, degrees: Degrees | None = None):
    ea = np.ascontiguousarray(ea, dtype=np.int64)
    ei = np.ascontiguousarray(ei, dtype=np.int64)
    d = degrees if degrees is not None else Degrees.of(ea, ei, n_acct, n_item)
    n_a, n_i = int((d.accounts > 0).sum()), int((d.items > 0).sum())
    w = np.ascontiguousarray(w, np.float64)
    found = peel(ea, ei, w, n_acct, n_item, min_accounts, d.accounts, d.items, n_a, n_i, d.edges)
    return ea, ei, w, found


def densest(
    ea: np.ndarray,
    ei: np.ndarray,
    w: np.ndarray,
    n_acct: int,
    n_item: int,
    min_accounts: int = 1,
) -> Peeled | None:
    """The densest state greedy peeling reaches with at least `min_accounts` accounts and one
    item (FRAUDAR: at least half the densest set's density); None when no state qualifies."""
    if len(ea) == 0:
        return None
    ea, ei, w, (order, best_k, best, _, _) = _peel(ea, ei, w, n_acct, n_item, min_accounts)
    return None if best < 0 else _state(ea, ei, w, order, best_k, n_acct)


def peel_block(
    ea: np.ndarray,
    ei: np.ndarray,
    w: np.ndarray,
    n_acct: int,
    n_item: int,
    min_accounts: int,
    degrees: Degrees,
) -> Peeled | None:
    """One peel's block: the densest state, or a state of the same peel (one removal order,
    so nested in it or around it) with a smaller p-value (`null.py`) when there is one, such
    as a lockstep group inside a large core of busy accounts."""
    if len(ea) == 0:
        return None
    ea, ei, w, found = _peel(ea, ei, w, n_acct, n_item, min_accounts, degrees)
    order, best_k, best, surprise_k, log_p = found
    if best < 0:
        return None
    if log_p >= 0.0:
        return _state(ea, ei, w, order, best_k, n_acct)
    block, _ = trimmed(ea, ei, _state(ea, ei, w, order, surprise_k, n_acct), degrees)
    return _grown(ea, ei, w, block, n_acct, n_item, degrees)


def trimmed(
    ea: np.ndarray, ei: np.ndarray, block: Peeled, degrees: Degrees
) -> tuple[Peeled, float]:
    """`block` cut to its most surprising entities, and the log of its p-value (`null.py`).
    Peeling keeps an entity whose edges add density, such as a popular shop every block
    account also used as camouflage; here the entities are taken in order of inside edges
    per degree, and the prefix with the smallest p-value is kept (the union bound covers
    every size). The density is the cut block's, with the whole graph's weights."""
    deg_a, deg_i = degrees.accounts, degrees.items
    n_a, n_i = int((deg_a > 0).sum()), int((deg_i > 0).sum())
    inside = among(ea, block.accounts) & among(ei, block.items)
    count = np.bincount(ei[inside], minlength=len(deg_i))[block.items]
    order = np.lexsort((block.items, -count / deg_i[block.items]))
    m, ends = np.cumsum(count[order]), np.cumsum(deg_i[block.items][order])
    account_ends, size = int(deg_a[block.accounts].sum()), len(block.accounts)
    logs = [
        log_p_value(int(m[k]), size, k + 1, account_ends, int(ends[k]), n_a, n_i, degrees.edges)
        for k in range(len(order))
    ]
    best = int(np.argmin(logs))
    items = np.sort(block.items[order[: best + 1]])
    kept = among(ea, block.accounts) & among(ei, items)
    weight = 1.0 / np.log(deg_i[ei[kept]] + 5.0)
    density = float(weight.sum()) / (size + len(items))
    return Peeled(block.accounts, items, density, int(m[best])), logs[best]


def _grown(ea, ei, w, block: Peeled, n_acct: int, n_item: int, degrees: Degrees) -> Peeled:
    """`block` with the accounts that acted on at least two of its entities, in order of
    their excess edges, as far as they lower the p-value: the most surprising state of
    a peel can leave out members that missed a few of the entities."""
    on_items = among(ei, block.items)
    count = np.bincount(ea[on_items], minlength=n_acct)
    enough = count >= 2
    enough[block.accounts] = False
    extra = np.flatnonzero(enough)
    deg_a, deg_i = degrees.accounts, degrees.items
    # each account's own excess: c log(c / (d p)), c of its d edges inside, p the entities'
    # share of all edge ends
    share = max(float(deg_i[block.items].sum()) / degrees.edges, 1e-300)
    c = count[extra].astype(float)
    gain = c * np.log(c / (deg_a[extra] * share))
    extra = extra[np.lexsort((extra, -gain))]
    n_a, n_i = int((deg_a > 0).sum()), int((deg_i > 0).sum())
    m = int(count[block.accounts].sum()) + np.r_[0, np.cumsum(count[extra])]
    ends = int(deg_a[block.accounts].sum()) + np.r_[0, np.cumsum(deg_a[extra])]
    entity_ends, size = int(deg_i[block.items].sum()), len(block.accounts)
    logs = [
        log_p_value(
            int(m[k]),
            size + k,
            len(block.items),
            int(ends[k]),
            entity_ends,
            n_a,
            n_i,
            degrees.edges,
        )
        for k in range(len(m))
    ]
    accounts = np.union1d(block.accounts, extra[: int(np.argmin(logs))])
    inside = among(ea, accounts) & on_items
    density = float(w[inside].sum()) / (len(accounts) + len(block.items))
    return Peeled(accounts, block.items, density, int(inside.sum()))


def peel_blocks(
    ea: np.ndarray,
    ei: np.ndarray,
    n_acct: int,
    n_item: int,
    min_accounts: int = 1,
    max_blocks: int = 20,
) -> list[Peeled]:
    """Up to `max_blocks` blocks in the order peeled: each block's accounts are taken out
    before the next peel. Weights and the degrees behind p-values come from the whole
    graph and stay fixed, so blocks compare."""
    w = item_weights(ei, n_item)
    degrees = Degrees.of(ea, ei, n_acct, n_item)
    keep = np.ones(len(ea), dtype=bool)
    blocks: list[Peeled] = []
    while len(blocks) < max_blocks and keep.any():
        found = peel_block(ea[keep], ei[keep], w[keep], n_acct, n_item, min_accounts, degrees)
        if found is None:
            break
        blocks.append(found)
        keep &= ~among(ea, found.accounts)
    return blocks


def density_of(
    ea: np.ndarray, ei: np.ndarray, w: np.ndarray, accounts: np.ndarray, items: np.ndarray
) -> float:
    """g(S) for the set of `accounts` and `items`: inside edge weight / number of nodes."""
    size = len(accounts) + len(items)
    if size == 0:
        return 0.0
    inside = among(ea, accounts) & among(ei, items)
    return float(w[inside].sum()) / size
