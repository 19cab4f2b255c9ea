"""The candidates' hits on the search window as cells, from which every greedy step counts.

A cell is a set of candidates (the bits of `hits`), a period and a label (1, 0, or -1: no
usable label), with the number of open rows exactly those candidates fire on; rows no
candidate fires on are left out (they never count). The rows each candidate newly stops,
once some are chosen, are sums over cells: so the greedy choice needs one pass over the
rows, and the cells of a table's parts, summed, are the table's (as simulate's cells
are). Beside them, per candidate and existing rule, the rows the candidate fires on and
the rule does not (zero: the candidate only repeats that rule, shadow ones included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.rules.select import Count, PoolCounts
from riskctl.rules.window import SearchRows

HITS, FOLD, LABEL, ROWS = "hits", "fold", "label", "rows"


@dataclass(frozen=True)
class PoolCells:
    outside: np.ndarray  # (candidates, existing rules): rows of the candidate, not the rule
    cells: pl.DataFrame  # hits (bits, little-endian), fold, label, rows
    candidates: int
    fires: np.ndarray  # per candidate: the search rows it fires on
    shadow: np.ndarray  # per existing rule: in shadow mode

    @staticmethod
    def merged(parts: list[PoolCells]) -> PoolCells:
        frame = pl.concat([p.cells for p in parts])
        cells = frame.group_by([HITS, FOLD, LABEL]).agg(pl.col(ROWS).sum())
        outside = np.sum([p.outside for p in parts], axis=0)
        fires = np.sum([p.fires for p in parts], axis=0)
        first = parts[0]
        sorted_cells = cells.sort([HITS, FOLD, LABEL])
        return PoolCells(outside, sorted_cells, first.candidates, fires, first.shadow)

    def count(self, folds: int) -> Count:
        """The counts of the candidates, given those chosen, for `select_rules`."""
        k = self.candidates
        packed = np.frombuffer(b"".join(self.cells[HITS].to_list()), dtype=np.uint8)
        bits = np.zeros((self.cells.height, k), dtype=np.int64)
        if k:  # no candidate: no cell either
            packed = packed.reshape(self.cells.height, (k + 7) // 8)
            bits[:] = np.unpackbits(packed, axis=1, count=k, bitorder="little")
        fold, label = self.cells[FOLD].to_numpy(), self.cells[LABEL].to_numpy()
        rows = self.cells[ROWS].to_numpy().astype(np.int64)

        def count(chosen: list[int]) -> PoolCounts:
            free = ~bits[:, chosen].any(axis=1)
            new = np.zeros((k, folds, 3), dtype=np.int64)
            for f in range(folds):
                for j, code in enumerate((1, 0, -1)):
                    at = free & (fold == f) & (label == code)
                    new[:, f, j] = rows[at] @ bits[at]
            return PoolCounts(self.outside, new, self.fires, self.shadow)

        return count


def pool_cells(
    rows: SearchRows, pool: np.ndarray, existing: np.ndarray, shadow: np.ndarray
) -> PoolCells:
    """`pool`, `existing`: the rows of `rows` each candidate and each existing rule fires
    on (one column each); `shadow`: which existing rules are in shadow mode."""
    outside = np.zeros((pool.shape[1], existing.shape[1]), dtype=np.int64)
    for j in range(existing.shape[1]):
        outside[:, j] = np.count_nonzero(pool & ~existing[:, [j]], axis=0)
    at = rows.open & pool.any(axis=1)
    hits = np.packbits(pool[at], axis=1, bitorder="little")
    frame = pl.DataFrame(
        {
            HITS: pl.Series(HITS, [bytes(h) for h in hits], dtype=pl.Binary),
            FOLD: pl.Series(FOLD, rows.fold[at], dtype=pl.Int64),
            LABEL: pl.Series(LABEL, rows.label[at], dtype=pl.Int8),
        }
    )
    cells = frame.group_by([HITS, FOLD, LABEL]).agg(pl.len().cast(pl.Int64).alias(ROWS))
    fires = np.count_nonzero(pool, axis=0).astype(np.int64)
    return PoolCells(outside, cells.sort([HITS, FOLD, LABEL]), pool.shape[1], fires, shadow)
