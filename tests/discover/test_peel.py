"""Greedy peeling against brute force: the exact densest set and a plain quadratic peel."""

from __future__ import annotations

import numpy as np
import pytest

from riskctl.discover.peel import densest, density_of, item_weights, peel_blocks


def _random_graph(rng: np.random.Generator, n_acct: int, n_item: int, p: float):
    pairs = [(a, i) for a in range(n_acct) for i in range(n_item) if rng.random() < p]
    ea = np.array([a for a, _ in pairs], dtype=np.int64)
    ei = np.array([i for _, i in pairs], dtype=np.int64)
    return ea, ei


def _exact_densest(ea, ei, w, n_acct, n_item) -> float:
    """max over every non-empty set of nodes of g(S) = inside weight / |S|."""
    best = 0.0
    nodes = n_acct + n_item
    for mask in range(1, 2**nodes):
        chosen = [v for v in range(nodes) if mask >> v & 1]
        accounts = np.array([v for v in chosen if v < n_acct], dtype=np.int64)
        items = np.array([v - n_acct for v in chosen if v >= n_acct], dtype=np.int64)
        best = max(best, density_of(ea, ei, w, accounts, items))
    return best


def _plain_peel(ea, ei, w, n_acct, n_item) -> float:
    """The same greedy peel, quadratic: recompute every node's weighted degree each step."""
    alive = set(range(n_acct + n_item))
    best = 0.0
    while alive:
        accounts = np.array([v for v in alive if v < n_acct], dtype=np.int64)
        items = np.array([v - n_acct for v in alive if v >= n_acct], dtype=np.int64)
        if len(accounts) and len(items):
            best = max(best, density_of(ea, ei, w, accounts, items))
        inside = np.isin(ea, accounts) & np.isin(ei, items)
        degree = {v: 0.0 for v in alive}
        for e in np.flatnonzero(inside):
            degree[int(ea[e])] += w[e]
            degree[int(ei[e]) + n_acct] += w[e]
        alive.remove(min(alive, key=lambda v: (degree[v], v)))
    return best


@pytest.mark.parametrize("seed", range(100))
def test_peeled_density_is_within_half_of_the_exact_densest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_acct, n_item = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    ea, ei = _random_graph(rng, n_acct, n_item, float(rng.uniform(0.2, 0.8)))
    if len(ea) == 0:
        return
    w = item_weights(ei, n_item)
    found = densest(ea, ei, w, n_acct, n_item)
    assert found is not None
    exact = _exact_densest(ea, ei, w, n_acct, n_item)
    assert found.density >= exact / 2 - 1e-12
    assert found.density <= exact + 1e-12
    assert found.density == pytest.approx(density_of(ea, ei, w, found.accounts, found.items))
    # the block the peeling reports (random graphs hold nothing surprising: the densest state)
    reported = peel_blocks(ea, ei, n_acct, n_item, min_accounts=1, max_blocks=1)[0]
    assert density_of(ea, ei, w, reported.accounts, reported.items) >= exact / 2 - 1e-12


@pytest.mark.parametrize("seed", range(20))
def test_heap_peel_matches_the_quadratic_peel(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n_acct, n_item = int(rng.integers(3, 30)), int(rng.integers(3, 20))
    ea, ei = _random_graph(rng, n_acct, n_item, float(rng.uniform(0.05, 0.5)))
    if len(ea) == 0:
        return
    w = np.ones(len(ea))  # whole weights: exact sums, so ties break the same way
    found = densest(ea, ei, w, n_acct, n_item)
    assert found is not None
    assert found.density == pytest.approx(_plain_peel(ea, ei, w, n_acct, n_item))


def test_a_planted_block_behind_camouflage_is_peeled_first() -> None:
    rng = np.random.default_rng(3)
    n_acct, n_item = 400, 200
    ea, ei = _random_graph(rng, n_acct, n_item, 0.01)
    block_a, block_i = np.arange(380, 400), np.arange(190, 200)
    pa, pi = np.meshgrid(block_a, block_i)
    # camouflage: each block account also uses the two most popular items
    ca = np.repeat(block_a, 2)
    ci = np.tile([0, 1], len(block_a))
    popular = rng.integers(0, 380, 300)
    ea = np.concatenate([ea, pa.ravel(), ca, popular, popular])
    ei = np.concatenate([ei, pi.ravel(), ci, np.zeros(300, int), np.ones(300, int)])
    pairs = np.unique(np.stack([ea, ei], 1), axis=0)
    blocks = peel_blocks(pairs[:, 0], pairs[:, 1], n_acct, n_item, min_accounts=5)
    assert set(blocks[0].accounts) == set(block_a)
    # the camouflaged popular items may join (their edges to the block still add density)
    assert set(block_i) <= set(blocks[0].items) <= set(block_i) | {0, 1}


def test_min_accounts_is_respected_and_each_blocks_accounts_are_taken_out() -> None:
    rng = np.random.default_rng(5)
    ea, ei = _random_graph(rng, 60, 30, 0.15)
    blocks = peel_blocks(ea, ei, 60, 30, min_accounts=4, max_blocks=6)
    assert len(blocks) >= 2
    keep = np.ones(len(ea), dtype=bool)
    w = item_weights(ei, 30)
    for b in blocks:
        assert len(b.accounts) >= 4 and len(b.items) >= 1
        # the density is that of the edges still there when the block was peeled
        assert b.density == pytest.approx(
            density_of(ea[keep], ei[keep], w[keep], b.accounts, b.items)
        )
        keep &= ~np.isin(ea, b.accounts)
    accounts = np.concatenate([b.accounts for b in blocks])
    assert len(np.unique(accounts)) == len(accounts)  # an account is in one block
