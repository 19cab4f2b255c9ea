"""Candidate rules: conjunctions of conditions, each a SQL `when:` text the strategy format
accepts, found by a beam search.

Conditions ("atoms") are numeric thresholds at the search window's quantiles (`x >= v`,
`x < v`, `v` a value the data holds), booleans (`b`, `NOT b`), a text column equal to one
of its commonest values or IN a list of its riskiest ones, and `x IS NULL`. Every atom is
compiled by the strategy engine (so riskctl.sqlsafe checks it) and evaluated on the search
rows by polars, so a conjunction's rows are exactly the rows the engine gives it.

The beam search scores a conjunction on the rows the strategy lets through: the bad rows it
newly stops and the good rows it newly hits. Each level keeps the conjunctions that stop the
most bad rows within the budget, and the most precise ones (to refine further).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.errors import ConfigError, Location
from riskctl.metrics.intervals import wilson
from riskctl.strategy.characters import odd_characters
from riskctl.strategy.conditions import (
    compile_condition,
    condition_expr,
    decided,
    parse_condition,
)

QUANTILES = (0.01, 0.02, 0.05, *(k / 10 for k in range(1, 10)), 0.95, 0.98, 0.99)
TOP_VALUES = 12  # a text column's commonest values, each an `=` atom
IN_LIST = 5  # the longest IN list of risky values
BEAM = 12
MIN_BAD = 3  # a candidate stops at least this many bad rows in the search window
WHERE = Location(Path("suggested rule"))
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Atom:
    column: str
    sql: str


@dataclass(frozen=True)
class Candidate:
    atoms: tuple[int, ...]
    when: str
    bad: int  # bad rows newly stopped in the search window
    good: int  # good rows newly hit


def name_sql(column: str) -> str:
    """The column as a SQL name: bare when it reads as one (not a keyword), else quoted."""
    quoted = '"' + column.replace('"', '""') + '"'
    if not _PLAIN.match(column):
        return quoted
    try:
        parse_condition(f"{column} IS NULL", WHERE)
    except ConfigError:
        return quoted
    return column


def _literal(value: str | float) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return np.format_float_positional(float(value), trim="-")


def atom_texts(table: pl.DataFrame, columns: list[str], label: np.ndarray) -> list[Atom]:
    """Every atom over `columns` of the search rows (label 1, 0 or -1 per row)."""
    atoms: list[Atom] = []
    for column in columns:
        s, q = table[column], name_sql(column)
        if s.null_count():
            atoms.append(Atom(column, f"{q} IS NULL"))
        if s.dtype == pl.Boolean:
            atoms += [Atom(column, q), Atom(column, f"NOT {q}")]
        elif s.dtype.is_numeric():
            atoms += [
                Atom(column, f"{q} {op} {_literal(v)}") for v in _cuts(s) for op in (">=", "<")
            ]
        else:
            atoms += [Atom(column, f"{q} = {_literal(v)}") for v in _top(s)]
            atoms += [
                Atom(column, f"{q} IN ({', '.join(map(_literal, v))})") for v in _risky(s, label)
            ]
    return [a for a in atoms if not odd_characters(a.sql, words=True, first=True)]


def _cuts(s: pl.Series) -> list[float]:
    finite = s.cast(pl.Float64).filter(s.cast(pl.Float64).is_finite())
    if finite.len() == 0:
        return []
    values = np.quantile(finite.to_numpy(), QUANTILES, method="lower")
    if not s.dtype.is_integer():  # three significant digits read better, and cut as well
        values = np.array([float(f"{v:.3g}") for v in values])
    kept = [v for v in np.unique(values) if v > finite.min()]  # `>= min` holds for every row
    return [int(v) for v in kept] if s.dtype.is_integer() else [float(v) for v in kept]


def _top(s: pl.Series) -> list[str]:
    counts = s.cast(pl.String).drop_nulls().value_counts(name="n")  # ties by value: same order
    top = counts.sort(["n", counts.columns[0]], descending=[True, False]).head(TOP_VALUES)
    return [v for v in top[counts.columns[0]].to_list() if len(v) <= 200 and _plain_value(v)]


def _risky(s: pl.Series, label: np.ndarray) -> list[list[str]]:
    """IN lists: the values with the highest bad rate (seen on at least 5 labelled rows),
    their first 2 .. IN_LIST."""
    frame = pl.DataFrame({"v": s.cast(pl.String), "y": label}).filter(pl.col("y") >= 0)
    rates = (
        frame.drop_nulls("v")
        .group_by("v")
        .agg(pl.col("y").mean().alias("rate"), pl.len().alias("n"))
        .filter((pl.col("n") >= 5) & (pl.col("v").str.len_chars() <= 200))
        .sort(["rate", "n", "v"], descending=[True, True, False])
    )
    values = [v for v in rates["v"].to_list() if _plain_value(v)][:IN_LIST]
    return [values[:k] for k in range(2, len(values) + 1)]


def _plain_value(value: str) -> bool:
    """A value a rule may name: no invisible or look-alike character (one odd value leaves
    the column's other values usable)."""
    return not odd_characters(_literal(value), words=True, first=True)


def compiled(table: pl.DataFrame, texts: list[str]) -> list[pl.Expr | None]:
    """Each condition as the engine decides it (None: it does not run on this data),
    checked on the schema all at once, one by one only if that fails."""
    schema = table.schema
    parsed: list[pl.Expr | None] = []
    for text in texts:
        try:
            parsed.append(condition_expr(text, schema, WHERE))
        except (ConfigError, pl.exceptions.PolarsError):
            parsed.append(None)
    exprs = [(i, e) for i, e in enumerate(parsed) if e is not None]
    try:
        empty = pl.LazyFrame(schema=schema).select([e.alias(f"c{i}") for i, e in exprs])
        ok = all(t == pl.Boolean for t in empty.collect().dtypes)
    except pl.exceptions.PolarsError:
        ok = False
    if not ok:
        return [_one(text, schema) for text in texts]
    # each with the schema of its own columns (the same expression; quicker to build)
    return [None if e is None else decided(e, _own(e, schema)) for e in parsed]


def _own(expr: pl.Expr, schema: pl.Schema) -> pl.Schema:
    return pl.Schema({c: schema[c] for c in dict.fromkeys(expr.meta.root_names())})


def _one(text: str, schema: pl.Schema) -> pl.Expr | None:
    try:
        return compile_condition(text, schema, WHERE)
    except ConfigError:
        return None


def masks(table: pl.DataFrame, exprs: list[pl.Expr]) -> np.ndarray:
    """The rows each expression fires on: a (rows, expressions) boolean array."""
    out = np.empty((table.height, len(exprs)), dtype=bool, order="F")
    for start in range(0, len(exprs), 64):  # bounded batches: one frame of 64 columns
        batch = exprs[start : start + 64]
        frame = table.select([e.alias(f"c{i}") for i, e in enumerate(batch)])
        for j, column in enumerate(frame.iter_columns()):
            out[:, start + j] = column.to_numpy()
    return out


def atom_matrix(table: pl.DataFrame, atoms: list[Atom]) -> tuple[list[Atom], np.ndarray]:
    """The atoms that compile on this data, and their rows (one column each)."""
    exprs = compiled(table, [a.sql for a in atoms])
    kept = [a for a, e in zip(atoms, exprs, strict=True) if e is not None]
    return kept, masks(table, [e for e in exprs if e is not None])


def conjunction_masks(table: pl.DataFrame, whens: list[str]) -> np.ndarray:
    """The rows each condition fires on (one column each), as the engine decides them."""
    exprs = [compile_condition(w, table.schema, WHERE) for w in whens]
    return masks(table, exprs)


def beam_search(
    atoms: list[Atom],
    matrix: np.ndarray,
    bad: np.ndarray,
    good: np.ndarray,
    max_good: float,
    max_conditions: int,
) -> list[Candidate]:
    """Conjunctions of up to `max_conditions` atoms (one per column) on the open rows
    (`bad`, `good`: the rows the strategy lets through, with a usable label), each stopping
    at least MIN_BAD bad rows and hitting at most `max_good` good rows."""
    bad_rows, good_rows = matrix[bad], matrix[good]  # the beam counts on these only
    nb, ng = np.count_nonzero(bad_rows, axis=0), np.count_nonzero(good_rows, axis=0)
    level = [((i,), int(nb[i]), int(ng[i])) for i in range(len(atoms)) if nb[i] >= MIN_BAD]
    found: dict[tuple[int, ...], tuple[int, int]] = {}
    for depth in range(1, max_conditions + 1):
        for key, b, g in level:
            if g <= max_good:
                found[key] = (b, g)
        if depth == max_conditions:
            break
        level = _expand(_beam(level, max_good), atoms, bad_rows, good_rows)
    return [
        Candidate(key, " AND ".join(atoms[i].sql for i in key), b, g)
        for key, (b, g) in sorted(found.items())
    ]


def _beam(level: list[tuple], max_good: float) -> list[tuple]:
    """The most bad rows within the budget, and the most precise (lower Wilson bound)."""
    inside = sorted((x for x in level if x[2] <= max_good), key=lambda x: (-x[1], x[2], x[0]))
    precise = sorted(level, key=lambda x: (-wilson(x[1], x[1] + x[2]).low, -x[1], x[0]))
    return list({x[0]: x for x in [*inside[:BEAM], *precise[:BEAM]]}.values())


def _expand(
    beam: list[tuple], atoms: list[Atom], bad_rows: np.ndarray, good_rows: np.ndarray
) -> list[tuple]:
    out: dict[tuple[int, ...], tuple] = {}
    for key, _, g in beam:
        in_bad = np.logical_and.reduce([bad_rows[:, i] for i in key])
        in_good = np.logical_and.reduce([good_rows[:, i] for i in key])
        nb = np.count_nonzero(bad_rows[in_bad], axis=0)
        ng = np.count_nonzero(good_rows[in_good], axis=0)
        used = {atoms[i].column for i in key}
        # a condition earns its place: it leaves out at least a tenth of the good rows
        for j in np.flatnonzero((nb >= MIN_BAD) & (ng <= g - max(1, g // 10))):
            if atoms[j].column not in used:
                new = tuple(sorted((*key, int(j))))
                out.setdefault(new, (new, int(nb[j]), int(ng[j])))
    return list(out.values())
