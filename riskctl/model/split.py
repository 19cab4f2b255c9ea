"""Three slices of a labelled history: train, early stopping and test.

The model learns from the train slice, early stopping (and calibration) watch the
early-stopping slice, and every reported metric comes from the test slice, which took no
part in either. With a time column the slices follow time (train earliest, test latest);
otherwise rows are drawn at random, stratified by class.

Group columns (a device, an account, a card) keep every value on one side: rows that share a
value in any group column are linked, linked rows form a component, and whole components go
to one slice. A ring whose members share a device then cannot be learnt from some members
and tested on others.

Duplicate rows (identical in every column the model may read, the label, and the time
column when there is one) are linked the same way, by a digest of the row: copies of a row
never sit on both sides of the split, where they would inflate the test metrics. Their
number is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.errors import DataError, UsageError

TRAIN, EARLY_STOPPING, TEST = 0, 1, 2
SLICE_NAMES = ("train", "early_stopping", "test")


DIGEST_SEED = 0x5EED_D1CE  # fixed: the same row has the same digest in every process
DIGEST = "__riskctl_row_digest"


@dataclass(frozen=True)
class Split:
    kind: str  # "time" | "random"
    slice: np.ndarray  # per row: TRAIN, EARLY_STOPPING or TEST
    component: np.ndarray  # per row: its group component (each row its own without groups)
    groups: tuple[str, ...]
    duplicates: int = 0  # rows identical to an earlier row (see `row_digest`)

    def rows(self, which: int) -> np.ndarray:
        return np.flatnonzero(self.slice == which)

    def describe(self) -> dict[str, object]:
        counts = np.bincount(self.slice, minlength=3)
        return {
            "kind": self.kind,
            "groups": list(self.groups),
            "components": int(len(np.unique(self.component))),
            "duplicate_rows": self.duplicates,
            **{f"{name}_rows": int(counts[i]) for i, name in enumerate(SLICE_NAMES)},
        }


def duplicate_columns(feature_columns: list[str], label: str, time: str | None) -> tuple[str, ...]:
    """The columns two rows must agree on to be duplicates: every column the model may read,
    the label, and the time column (a later row with the same values is a new event in a
    time split)."""
    return tuple(dict.fromkeys([*feature_columns, label, *([time] if time else [])]))


def _canonical(name: str, dtype: pl.DataType) -> pl.Expr:
    """A column as the digest reads it: the same value hashes alike whatever the width or
    unit a part stores it in (Int32 or Int64, ms or us, categorical or text)."""
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        return col.dt.epoch("us")
    if dtype == pl.Date:
        return col.cast(pl.Datetime("us")).dt.epoch("us")
    if dtype == pl.Boolean:
        return col.cast(pl.Float64)
    if dtype.is_numeric():
        return col.cast(pl.Float64).fill_nan(None)
    return col.cast(pl.String)


def row_digest(df: pl.DataFrame, columns: tuple[str, ...], seed: int = 0) -> pl.Series:
    """A 64-bit digest of each row's values in `columns`: equal rows, equal digests (in every
    process: the seed is fixed). `seed` varies it, e.g. to draw a random slice by row."""
    present = [c for c in columns if c in df.columns]
    if not present:
        return pl.Series(DIGEST, np.arange(df.height, dtype=np.uint64))
    return df.select(digest_expr(df.schema, tuple(present), seed)).to_series()


def digest_expr(schema: pl.Schema, columns: tuple[str, ...], seed: int = 0) -> pl.Expr:
    """`row_digest` as an expression over `columns` (all in `schema`), e.g. for a lazy,
    streaming query."""
    exprs = [_canonical(c, schema[c]).alias(c) for c in columns]
    return pl.struct(exprs).hash(DIGEST_SEED + seed).alias(DIGEST)


def count_duplicates(digest: pl.Series) -> int:
    """Rows whose digest an earlier row already has."""
    return digest.len() - digest.n_unique()


def group_components(df: pl.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Connected components of rows linked by a shared non-missing value in any column,
    numbered by their first row."""
    n = df.height
    if not columns:
        return np.arange(n)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    heads, tails, offset = [], [], n
    for c in columns:
        column = df[c].fill_nan(None) if df[c].dtype.is_float() else df[c]
        codes = column.cast(pl.String).rank("dense")  # missing values link nothing
        present = codes.is_not_null().to_numpy()
        values = codes.fill_null(0).to_numpy().astype(np.int64) - 1
        heads.append(np.flatnonzero(present))
        tails.append(offset + values[present])
        offset += int(values.max() + 1) if len(values) else 0
    head, tail = np.concatenate(heads), np.concatenate(tails)
    graph = coo_matrix((np.ones(len(head), dtype=np.int8), (head, tail)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    rows = labels[:n]
    # renumber by first row so the numbering depends on the data only
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


def split_rows(
    df: pl.DataFrame,
    y: np.ndarray,
    kind: str,
    fractions: tuple[float, float],
    seed: int,
    groups: tuple[str, ...] = (),
    same: tuple[str, ...] = (),
) -> Split:
    """Assign each row of `df` (sorted by time for a time split) to a slice.

    `fractions` are the early-stopping and test shares of the rows. Rows that share a value
    of a `groups` column, or are duplicates (equal in every `same` column), form
    components, which go whole to one slice: in time order of their first row, or shuffled
    (stratified by whether they hold a bad row) for a random split.
    """
    valid_fraction, test_fraction = fractions
    duplicates = 0
    links = groups
    if same:
        digest = row_digest(df, same)
        duplicates = count_duplicates(digest)
        if duplicates:
            df = df.select(*groups, digest)
            links = (*groups, DIGEST)
    component = group_components(df, links)
    n_comp = int(component.max()) + 1 if len(component) else 0
    size = np.bincount(component, minlength=n_comp)
    has_bad = np.bincount(component, weights=y, minlength=n_comp) > 0
    if kind == "time":
        strata = [np.arange(n_comp)]  # numbered by first row, which is time order
    else:
        rng = np.random.default_rng(seed)
        strata = [rng.permutation(np.flatnonzero(has_bad == flag)) for flag in (True, False)]
    cuts = np.array([1 - valid_fraction - test_fraction, 1 - test_fraction])
    comp_slice = np.zeros(n_comp, dtype=np.int8)
    for order in strata:
        if not len(order):
            continue
        sizes = size[order]
        middle = (np.cumsum(sizes) - sizes / 2) / sizes.sum()
        comp_slice[order] = np.searchsorted(cuts, middle, side="right")
    split = Split(kind, comp_slice[component], component, groups, duplicates)
    _check(split, y, groups)
    return split


def _check(split: Split, y: np.ndarray, groups: tuple[str, ...]) -> None:
    for which, name in enumerate(SLICE_NAMES):
        members = split.slice == which
        bad = int(y[members].sum())
        if bad == 0 or bad == int(members.sum()):
            linked = (
                "the --group columns" if groups else "",
                f"{split.duplicates:,} duplicate rows" if split.duplicates else "",
            )
            why = (
                f"; {' and '.join(filter(None, linked))} link the rows into "
                f"{len(np.unique(split.component)):,} groups, the largest with "
                f"{int(np.bincount(split.component).max()):,} rows"
                if any(linked)
                else ""
            )
            raise DataError(
                f"the {name.replace('_', '-')} slice has {int(members.sum()):,} rows and "
                f"{'no bad' if bad == 0 else 'no good'} rows{why}",
                hint="use more history, other --valid-fraction/--test-fraction, "
                "or fewer --group columns (copies of a row always stay together)",
            )


def check_fractions(valid_fraction: float, test_fraction: float) -> None:
    if not 0.05 <= valid_fraction <= 0.5:
        raise UsageError("--valid-fraction must be between 0.05 and 0.5")
    if not 0.05 <= test_fraction <= 0.5:
        raise UsageError("--test-fraction must be between 0.05 and 0.5")
    if valid_fraction + test_fraction > 0.7:
        raise UsageError(
            "--valid-fraction plus --test-fraction must leave at least 30% of rows to train on"
        )
