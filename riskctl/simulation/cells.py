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

from riskctl.data.dates import DAY_UNITS, matured_before
from riskctl.data.values import NONE, named_values
from riskctl.simulation.roles import Roles
from riskctl.strategy.decisions import SEGMENT, DecisionSchema
from riskctl.strategy.engine import CompiledStrategy, decide
from riskctl.strategy.finite import is_finite

MATURED, DAY, LABEL, ROWS, AMOUNT, AMOUNT_SQ = "_matured", "_day", "_label", "_n", "_a", "_a2"
STOPPED, CONTROL = "_stopped", "_control"  # production took a no-outcome action; control group
BAD = "_unusable:"


def mask_column(side: str) -> str:
    return f"{side}mask"


def segment_column(side: str) -> str:
    return f"{side}segment"


def by_column(column: str) -> str:
    return f"by:{column}"


def mask_expr(schema: DecisionSchema) -> pl.Expr:
    """The fired deciders of a row as bits of one integer (bit i: `schema.deciders[i]`),
    in the narrowest unsigned type that holds them: less memory to move per row."""
    width = len(schema.deciders)
    if width > MAX_DECIDERS:
        raise ValueError(f"at most {MAX_DECIDERS} rules and thresholds per strategy")
    dtype = next(t for bits, t in MASK_TYPES if width <= bits)
    zero = pl.lit(0, dtype=dtype)
    mask: pl.Expr = zero
    for i, d in enumerate(schema.deciders):  # a chain of ORs: cheaper than sum_horizontal
        bit = pl.when(pl.col(d.column)).then(pl.lit(1 << i, dtype=dtype)).otherwise(zero)
        mask = bit if i == 0 else mask | bit
    return mask


MASK_TYPES = [(8, pl.UInt8), (16, pl.UInt16), (32, pl.UInt32), (64, pl.UInt64)]


def segment_code(column: str, names: list[str]) -> pl.Expr:
    """A segment column as integers: 0 none, i + 1 `names[i]`."""
    if not names:
        return pl.lit(0, dtype=pl.UInt32)
    code = pl.col(column).cast(pl.Enum(names)).to_physical().cast(pl.UInt32) + 1
    return code.fill_null(0)


MAX_DECIDERS = 64


@dataclass(frozen=True)
class Side:
    """One strategy's columns in a decided frame: its mask over `width` deciders and its
    segment, coded as `segment_code` does over `segments`."""

    prefix: str
    width: int
    segments: tuple[str, ...] = ()


def side_of(prefix: str, compiled: CompiledStrategy) -> Side:
    return Side(prefix, len(compiled.schema.deciders), tuple(compiled.segments))


def decided_lazy(lf: pl.LazyFrame, sides: list[tuple[str, CompiledStrategy]]) -> pl.LazyFrame:
    """`lf` decided by each strategy in turn, keeping per side only its mask and segment
    code."""
    for side, compiled in sides:
        schema = compiled.schema
        lf = (
            decide(compiled, lf)
            .with_columns(
                mask_expr(schema).alias(mask_column(side)),
                segment_code(SEGMENT, list(compiled.segments)).alias(segment_column(side)),
            )
            .drop([*schema.hit_columns, "action", "flagged", "decided_by", SEGMENT])
        )
    return lf


def maturity_cutoff(lf: pl.LazyFrame, roles: Roles, maturity_days: float) -> Any:
    """Rows at or before this time have a matured label (None: every row counts); ages
    count from `roles.as_of` when set, else from the newest row."""
    return matured_before(lf, roles.time, maturity_days, roles.as_of)


def matured_expr(roles: Roles, cutoff: Any) -> pl.Expr:
    """Whether a row's label counts; a row with no time never matures."""
    if cutoff is None or roles.time is None:
        return pl.lit(True)
    return (pl.col(roles.time) <= cutoff).fill_null(False)


def matured_column(side: str) -> str:
    return f"{side}{MATURED}"


def cell_query(
    decided: pl.LazyFrame,
    sides: list[Side],
    roles: Roles,
    matured: dict[str, pl.Expr],
    by: list[str],
    scores: list[str] | None = None,
) -> pl.LazyFrame:
    """The cells of decided rows: one row per distinct key, with row and amount sums.
    `matured`: per side, whether a row's label counts (each strategy has its maturity).

    The small keys (flags, day, label, masks, segment codes) are packed into a few 64-bit
    words: hashing one or two integers per row is what makes the group-by cheap. The words
    are unpacked on the grouped table (thousands of rows, not millions)."""
    schema = decided.collect_schema()
    fields = _key_fields(sides, roles, matured, schema)
    words = _pack(fields)
    packed = [_word_expr(fields, slots).alias(f"_k{w}") for w, slots in enumerate(words)]
    # a missing value stays null: a real value may be spelled like any name for "missing"
    by_keys = [pl.col(c).cast(pl.String).alias(by_column(c)) for c in by]
    amount = pl.col(roles.amount).cast(pl.Float64).fill_null(0.0) if roles.amount else pl.lit(0.0)
    # scores that cannot decide (missing, NaN, infinite) are counted, never silently used
    unusable = [
        (~is_finite(pl.col(c).cast(pl.Float64))).fill_null(True).sum().alias(BAD + c)
        for c in scores or []
    ]
    if roles.amount and roles.amount not in (scores or []) and schema[roles.amount].is_numeric():
        usable = is_finite(amount) & (amount >= 0)  # not NaN, infinite or negative
        unusable.append((~usable).sum().alias(BAD + roles.amount))
    grouped = decided.group_by([*packed, *by_keys]).agg(
        pl.len().alias(ROWS),
        *exact_sum_parts(amount, AMOUNT),
        *exact_sum_parts(amount * amount, AMOUNT_SQ),
        *unusable,
    )
    decoded = {name: expr for name, expr in _unpacked(fields, words, sides)}
    order = [*[matured_column(s.prefix) for s in sides], DAY, LABEL]
    order += [mask_column(s.prefix) for s in sides] + [segment_column(s.prefix) for s in sides]
    order += [by_column(c) for c in by] + ([STOPPED, CONTROL] if roles.history else [])
    values = [ROWS, AMOUNT, AMOUNT_SQ, *[e.meta.output_name() for e in unusable]]
    sums = {AMOUNT: exact_sum_total(AMOUNT), AMOUNT_SQ: exact_sum_total(AMOUNT_SQ)}
    return grouped.select(
        *[decoded[c].alias(c) if c in decoded else pl.col(c) for c in order],
        *[sums[v].alias(v) if v in sums else pl.col(v) for v in values],
    )


# A float sum depends on the order of its terms, and a parallel group-by adds its parts in
# whatever order the threads finish: the same rows could give sums differing in the last
# digits. So each value is split exactly into integers that add up the same in any order: its
# whole part (below EXACT_BELOW) and its fraction in units of 2**-FRACTION_BITS. Values at or
# above EXACT_BELOW (and NaN or infinite ones, which riskctl refuses anyway) are added as floats.
EXACT_BELOW = 2.0**100
FRACTION_BITS = 64


def exact_sum_parts(value: pl.Expr, name: str) -> list[pl.Expr]:
    """Aggregations whose results `exact_sum_total(name)` turns into the sum of `value`, the
    same whatever the order or grouping of the rows."""
    small = is_finite(value) & (value.abs() < EXACT_BELOW)
    whole = pl.when(small).then(value.floor()).otherwise(0.0)
    fraction = ((value - whole) * 2.0**FRACTION_BITS).round()
    return [
        whole.cast(pl.Int128).sum().alias(f"{name}:whole"),
        pl.when(small)
        .then(fraction)
        .otherwise(0.0)
        .cast(pl.Int128)
        .sum()
        .alias(f"{name}:fraction"),
        pl.when(small).then(0.0).otherwise(value).sum().alias(f"{name}:large"),
    ]


def exact_sum_total(name: str) -> pl.Expr:
    """The sum `exact_sum_parts(_, name)` aggregated, as a float."""
    whole, fraction = pl.col(f"{name}:whole"), pl.col(f"{name}:fraction")
    carried = whole + fraction // 2**FRACTION_BITS  # integers: exact, any order
    rest = (fraction % 2**FRACTION_BITS).cast(pl.Float64) * 2.0**-FRACTION_BITS
    return carried.cast(pl.Float64) + rest + pl.col(f"{name}:large")


@dataclass(frozen=True)
class _Field:
    """A key packed into a word: `value` (a non-negative integer below 2**width)."""

    name: str
    width: int
    value: pl.Expr


DAY_OFFSET = 2**31 + 1  # days since 1970 as Int32, shifted positive; 0 is a missing day


def day_number(column: str, dtype: pl.DataType | None) -> pl.Expr:
    """Days since 1970-01-01 of a time column. A datetime without a time zone is a count of
    its unit, so its date is a floor division: several times cheaper than `dt.date()`."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return pl.col(column).cast(pl.Int64) // DAY_UNITS[dtype.time_unit]
    return pl.col(column).dt.date().cast(pl.Int64)


def _key_fields(
    sides: list[Side], roles: Roles, matured: dict[str, pl.Expr], schema: pl.Schema
) -> list[_Field]:
    """The small keys of a cell as fields of fixed width."""
    fields = [_Field(matured_column(s.prefix), 1, matured[s.prefix]) for s in sides]
    if roles.time:
        day = day_number(roles.time, schema.get(roles.time)) + DAY_OFFSET
        fields.append(_Field(DAY, 33, day.fill_null(0)))
    label = pl.col(roles.label).cast(pl.Int8).cast(pl.Int16) + 129  # 1..256; 0 missing
    fields.append(_Field(LABEL, 9, label.fill_null(0)))
    for s in sides:
        fields.append(_Field(mask_column(s.prefix), s.width, pl.col(mask_column(s.prefix))))
        width = len(s.segments).bit_length()
        fields.append(_Field(segment_column(s.prefix), width, pl.col(segment_column(s.prefix))))
    for name, expr in zip((STOPPED, CONTROL), _history_keys(roles), strict=False):
        fields.append(_Field(name, 1, expr))
    return [f for f in fields if f.width]


def _pack(fields: list[_Field]) -> list[list[tuple[int, int]]]:
    """Per 64-bit word, its (field index, bit shift) slots: first fit, widest first."""
    words: list[list[tuple[int, int]]] = []
    used: list[int] = []
    for i in sorted(range(len(fields)), key=lambda i: (-fields[i].width, i)):
        w = next((w for w, u in enumerate(used) if u + fields[i].width <= 64), len(used))
        if w == len(used):
            words.append([])
            used.append(0)
        words[w].append((i, used[w]))
        used[w] += fields[i].width
    return words


def _word_expr(fields: list[_Field], slots: list[tuple[int, int]]) -> pl.Expr:
    word: pl.Expr | None = None
    for i, shift in slots:
        part = fields[i].value.cast(pl.UInt64) * pl.lit(1 << shift, dtype=pl.UInt64)
        word = part if word is None else word | part
    assert word is not None
    return word


def _unpacked(
    fields: list[_Field], words: list[list[tuple[int, int]]], sides: list[Side]
) -> list[tuple[str, pl.Expr]]:
    """Each packed key read back from the grouped words, in its original type."""
    raw: dict[str, pl.Expr] = {}
    for w, slots in enumerate(words):
        for i, shift in slots:
            value = pl.col(f"_k{w}") // pl.lit(1 << shift, dtype=pl.UInt64)
            width = fields[i].width
            raw[fields[i].name] = (
                value if width == 64 else value % pl.lit(1 << width, dtype=pl.UInt64)
            )
    out: list[tuple[str, pl.Expr]] = []
    for name in (STOPPED, CONTROL, *[matured_column(s.prefix) for s in sides]):
        if name in raw:
            out.append((name, raw[name] == 1))
    code = raw.get(DAY)
    day = pl.lit(None, dtype=pl.Date)
    if code is not None:
        day = pl.when(code > 0).then(
            (code.cast(pl.Int64) - DAY_OFFSET).cast(pl.Int32).cast(pl.Date)
        )
    out.append((DAY, day))
    label = raw[LABEL]
    out.append((LABEL, pl.when(label > 0).then(label.cast(pl.Int16) - 129).cast(pl.Int8)))
    for s in sides:
        mask = raw.get(mask_column(s.prefix), pl.lit(0, dtype=pl.UInt64))
        out.append((mask_column(s.prefix), mask.cast(pl.UInt64)))
        segment = raw.get(segment_column(s.prefix), pl.lit(0, dtype=pl.UInt64))
        names = [NONE, *s.segments]
        decoded = segment.replace_strict(list(range(len(names))), names, return_dtype=pl.String)
        out.append((segment_column(s.prefix), decoded))
    return out


def _history_keys(roles: Roles) -> list[pl.Expr]:
    """Whether production stopped the row (no outcome can exist) and whether the control
    group let it through anyway: what tells a blocked row from an unlabelled one."""
    h = roles.history
    if h is None:
        return []
    stopped = pl.col(h.decision).cast(pl.String).is_in(h.no_outcome).fill_null(False)
    control = pl.col(h.control).cast(pl.Boolean).fill_null(False) if h.control else pl.lit(False)
    return [stopped.alias(STOPPED), control.alias(CONTROL)]


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

    @property
    def stopped(self) -> np.ndarray:
        """Cells production stopped (a no-outcome action); all False without `history:`."""
        if STOPPED not in self.frame.columns:
            return np.zeros(self.frame.height, dtype=bool)
        return self.frame[STOPPED].to_numpy().astype(bool)

    @property
    def control(self) -> np.ndarray:
        if CONTROL not in self.frame.columns:
            return np.zeros(self.frame.height, dtype=bool)
        return self.frame[CONTROL].to_numpy().astype(bool)

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
        """A `--by` column's value per cell, as text (None: missing)."""
        return self.frame[by_column(column)].to_numpy()


def groups_of(values: np.ndarray, rows: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The (name, cell mask) of each `--by` value with rows, sorted by name; the missing
    values form one group under `name_missing`."""
    names = named_values(pl.Series(values.tolist(), dtype=pl.String))
    return [(name, names == name) for name in sorted(set(names[rows > 0]))]


def ranks(bits: np.ndarray, schema: DecisionSchema, skip: int | None = None) -> np.ndarray:
    """Per cell, the most severe rank its acting deciders give (but decider `skip`)."""
    out = np.full(bits.shape[0], schema.pass_rank, dtype=np.int64)
    for i, d in enumerate(schema.deciders):
        if d.acts and i != skip:
            out = np.where(bits[:, i], np.minimum(out, d.rank), out)
    return out
