"""One pass over the rows: the cells every strategy aggregate is made of.

A cell is the set of rows that share everything the metrics can tell apart: whether the
label has matured, the calendar day, the label, which rules and thresholds fired for each
strategy (a bit mask over its `DecisionSchema`), each strategy's segment, and the `--by`
values. One polars group-by, streaming, gives each cell's row count and amount sums; every
metric, the rule table, warnings, daily series, segment breakdowns and the swap set are then
exact sums over this small table. Rows are never materialised for them, and the cells of
several partitions add up to the cells of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.evaluate.roles import Roles
from riskctl.strategy.decisions import SEGMENT, DecisionSchema
from riskctl.strategy.engine import CompiledStrategy, decide

MATURED, DAY, LABEL, ROWS, AMOUNT, AMOUNT_SQ = "_matured", "_day", "_label", "_n", "_a", "_a2"
BAD = "_unusable:"
OTHER_LABEL = -9  # a label that is neither 0, 1 nor missing
NONE = "(none)"


def mask_column(side: str) -> str:
    return f"{side}mask"


def segment_column(side: str) -> str:
    return f"{side}segment"


def by_column(column: str) -> str:
    return f"by:{column}"


def _mask(schema: DecisionSchema) -> pl.Expr:
    """The fired deciders of a row as bits of one integer (bit i: `schema.deciders[i]`)."""
    bits = [
        pl.col(d.column).cast(pl.UInt64) * pl.lit(1 << i, dtype=pl.UInt64)
        for i, d in enumerate(schema.deciders)
    ]
    return pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.UInt64)


MAX_DECIDERS = 64


def decided_lazy(lf: pl.LazyFrame, sides: list[tuple[str, CompiledStrategy]]) -> pl.LazyFrame:
    """`lf` decided by each strategy in turn, keeping per side only its mask and segment."""
    for side, compiled in sides:
        schema = compiled.schema
        if len(schema.deciders) > MAX_DECIDERS:
            raise ValueError(f"at most {MAX_DECIDERS} rules and thresholds per strategy")
        lf = (
            decide(compiled, lf)
            .with_columns(
                _mask(schema).alias(mask_column(side)),
                pl.col(SEGMENT).alias(segment_column(side)),
            )
            .drop([*schema.hit_columns, "action", "flagged", "decided_by", SEGMENT])
        )
    return lf


def maturity_cutoff(lf: pl.LazyFrame, roles: Roles, maturity_days: float) -> Any:
    """Rows at or before this time have a matured label (None: every row counts)."""
    if maturity_days <= 0 or roles.time is None:
        return None
    age = pl.duration(microseconds=int(maturity_days * 86_400_000_000))
    return lf.select(pl.col(roles.time).max() - age).collect().item()


def matured_expr(roles: Roles, cutoff: Any) -> pl.Expr:
    """Whether a row's label counts; a row with no time never matures."""
    if cutoff is None or roles.time is None:
        return pl.lit(True)
    return (pl.col(roles.time) <= cutoff).fill_null(False)


def matured_column(side: str) -> str:
    return f"{side}{MATURED}"


def cell_query(
    decided: pl.LazyFrame,
    sides: list[str],
    roles: Roles,
    matured: dict[str, pl.Expr],
    by: list[str],
    scores: list[str] | None = None,
) -> pl.LazyFrame:
    """The cells of decided rows: one row per distinct key, with row and amount sums.
    `matured`: per side, whether a row's label counts (each strategy has its maturity)."""
    keys = [
        *[matured[s].alias(matured_column(s)) for s in sides],
        (pl.col(roles.time).dt.date() if roles.time else pl.lit(None, dtype=pl.Date)).alias(DAY),
        pl.col(roles.label).cast(pl.Int8).alias(LABEL),
        *[pl.col(mask_column(s)) for s in sides],
        *[pl.col(segment_column(s)).fill_null(NONE) for s in sides],
        *[pl.col(c).cast(pl.String).fill_null(NONE).alias(by_column(c)) for c in by],
    ]
    amount = pl.col(roles.amount).cast(pl.Float64).fill_null(0.0) if roles.amount else pl.lit(0.0)
    # scores that cannot decide (missing, NaN, infinite) are counted, never silently used
    unusable = [
        (pl.col(c).is_null() | ~pl.col(c).cast(pl.Float64).is_finite()).sum().alias(BAD + c)
        for c in scores or []
    ]
    return decided.group_by(keys).agg(
        pl.len().alias(ROWS),
        amount.sum().alias(AMOUNT),
        (amount * amount).sum().alias(AMOUNT_SQ),
        *unusable,
    )


def sorted_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells in a fixed order: sums over cells must not depend on how the group-by ran."""
    keys = [c for c in frame.columns if c not in (ROWS, AMOUNT, AMOUNT_SQ) and BAD not in c]
    return frame.sort(keys, nulls_last=True)


@dataclass(frozen=True)
class Cells:
    """The cell table and what decodes it."""

    frame: pl.DataFrame
    roles: Roles
    by: list[str]

    def filter(self, mask: np.ndarray) -> Cells:
        return Cells(self.frame.filter(pl.Series(mask, dtype=pl.Boolean)), self.roles, self.by)

    @property
    def rows(self) -> np.ndarray:
        return self.frame[ROWS].to_numpy().astype(np.int64)

    @property
    def amount(self) -> np.ndarray:
        return self.frame[AMOUNT].to_numpy()

    @property
    def amount_sq(self) -> np.ndarray:
        return self.frame[AMOUNT_SQ].to_numpy()

    @property
    def label(self) -> np.ndarray:
        """1 bad, 0 good, -1 no usable label."""
        return self.frame[LABEL].fill_null(-1).to_numpy().astype(np.int64)

    def matured(self, side: str) -> np.ndarray:
        return self.frame[matured_column(side)].to_numpy().astype(bool)

    @property
    def day(self) -> pl.Series:
        return self.frame[DAY]

    def bits(self, side: str, schema: DecisionSchema) -> np.ndarray:
        """cells x deciders: whether each rule or threshold fired."""
        masks = self.frame[mask_column(side)].to_numpy().astype(np.uint64)
        shifts = np.arange(len(schema.deciders), dtype=np.uint64)
        return ((masks[:, None] >> shifts[None, :]) & np.uint64(1)).astype(bool)

    def segment(self, side: str) -> np.ndarray:
        return self.frame[segment_column(side)].to_numpy()

    def values(self, column: str) -> np.ndarray:
        return self.frame[by_column(column)].to_numpy()


def ranks(bits: np.ndarray, schema: DecisionSchema, skip: int | None = None) -> np.ndarray:
    """Per cell, the most severe rank its acting deciders give (but decider `skip`)."""
    out = np.full(bits.shape[0], schema.pass_rank, dtype=np.int64)
    for i, d in enumerate(schema.deciders):
        if d.acts and i != skip:
            out = np.where(bits[:, i], np.minimum(out, d.rank), out)
    return out
