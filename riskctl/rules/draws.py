"""Seeded uniform draws by row position: the draws of rows `offset .. offset + n` of one
stream are the same whether the whole table draws them or only the part holding those rows
(PCG64 jumps ahead by `offset` draws), so sampled rows do not depend on how a table is cut
into parts."""

from __future__ import annotations

import numpy as np


def draws(seed: int, stream: int, offset: int, n: int) -> np.ndarray:
    """Uniform draws in [0, 1) for the rows at positions `offset .. offset + n` of the
    stream `stream` of `seed` (streams of one seed are independent)."""
    bits = np.random.PCG64(np.random.SeedSequence([seed % 2**64, stream]))  # any integer
    bits.advance(offset)  # one 64-bit step per double drawn
    return np.random.Generator(bits).random(n)
