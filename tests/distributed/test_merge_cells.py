"""The cells of a table's parts, merged, against the cells of the whole table."""

import numpy as np
import polars as pl

from riskctl.distributed.simulate import merge_cells
from riskctl.simulation.cells import AMOUNT, AMOUNT_SQ, Side, cell_query, sorted_cells
from riskctl.simulation.roles import Roles


def _cells(df: pl.DataFrame) -> pl.DataFrame:
    query = cell_query(
        df.lazy(), [Side("s0_", 3)], Roles("y", None, "amount"), {"s0_": pl.lit(True)}, ["by"]
    )
    return sorted_cells(query.collect())


def test_merged_parts_are_the_whole_and_always_the_same_bits() -> None:
    rng = np.random.default_rng(5)
    n = 30_000
    df = pl.DataFrame(
        {
            "y": pl.Series(rng.choice([0, 1], n).astype(np.int8)).set(
                pl.Series(rng.random(n) < 0.1), None
            ),
            "amount": np.round(rng.lognormal(3, 2, n), 2),
            "s0_mask": rng.integers(0, 8, n).astype(np.uint8),
            "s0_segment": np.zeros(n, dtype=np.uint32),
            "by": pl.Series(rng.choice(["a", "b", None], n).tolist(), dtype=pl.String),
        }
    )
    bounds = np.sort(rng.choice(np.arange(1, n), 11, replace=False))
    edges = [0, *bounds.tolist(), n]
    parts = [_cells(df[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
    merged = merge_cells(parts)
    whole = _cells(df)
    assert merged.drop(AMOUNT, AMOUNT_SQ).equals(whole.drop(AMOUNT, AMOUNT_SQ))
    for c in (AMOUNT, AMOUNT_SQ):
        np.testing.assert_allclose(merged[c].to_numpy(), whole[c].to_numpy(), rtol=1e-13)
    for _ in range(5):  # the same parts, however chunked, give the same bits
        chunked = [
            pl.concat([p.slice(i, 3) for i in range(0, p.height, 3)], rechunk=False) for p in parts
        ]
        assert merge_cells(chunked).equals(merged)
