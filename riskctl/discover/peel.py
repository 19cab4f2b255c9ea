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

from riskctl.discover._peel_kernels import peel


@dataclass(frozen=True)
class Peeled:
    """One dense block: account and item indices (sorted), its density g and inside edges."""

    accounts: np.ndarray
    items: np.ndarray
    density: float
    edges: int


def item_weights(ei: np.ndarray, n_item: int) -> np.ndarray:
    """Each edge's weight 1 / log(item degree + 5)."""
    degree = np.bincount(ei, minlength=n_item)
    return 1.0 / np.log(degree[ei] + 5.0)


def densest(
    ea: np.ndarray,
    ei: np.ndarray,
    w: np.ndarray,
    n_acct: int,
    n_item: int,
    min_accounts: int = 1,
) -> Peeled | None:
    """The densest state greedy peeling reaches with at least `min_accounts` accounts and one
    item; None when no such state exists (too few accounts with edges)."""
    if len(ea) == 0:
        return None
    ea = np.ascontiguousarray(ea, dtype=np.int64)
    ei = np.ascontiguousarray(ei, dtype=np.int64)
    order, best_k, best = peel(
        ea, ei, np.ascontiguousarray(w, np.float64), n_acct, n_item, min_accounts
    )
    if best < 0:
        return None
    kept = order[best_k:]
    accounts = np.sort(kept[kept < n_acct])
    items = np.sort(kept[kept >= n_acct] - n_acct)
    inside = np.isin(ea, accounts) & np.isin(ei, items)
    return Peeled(accounts, items, float(best), int(inside.sum()))


def peel_blocks(
    ea: np.ndarray,
    ei: np.ndarray,
    n_acct: int,
    n_item: int,
    min_accounts: int = 1,
    max_blocks: int = 20,
) -> list[Peeled]:
    """Up to `max_blocks` blocks in the order peeled: each block's accounts are taken out
    before the next peel. Weights come from the whole graph's item degrees and stay fixed,
    so densities compare across blocks."""
    w = item_weights(ei, n_item)
    keep = np.ones(len(ea), dtype=bool)
    blocks: list[Peeled] = []
    while len(blocks) < max_blocks and keep.any():
        found = densest(ea[keep], ei[keep], w[keep], n_acct, n_item, min_accounts)
        if found is None:
            break
        blocks.append(found)
        keep &= ~np.isin(ea, found.accounts)
    return blocks


def density_of(
    ea: np.ndarray, ei: np.ndarray, w: np.ndarray, accounts: np.ndarray, items: np.ndarray
) -> float:
    """g(S) for the set of `accounts` and `items`: inside edge weight / number of nodes."""
    size = len(accounts) + len(items)
    if size == 0:
        return 0.0
    inside = np.isin(ea, accounts) & np.isin(ei, items)
    return float(w[inside].sum()) / size
