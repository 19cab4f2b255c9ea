"""The account x entity graph of a window of events.

An entity kind is one column (`seller_id`) or several read together (`seller_id+category`:
one entity per combination). Several kinds may share the entity side; an entity is then
named by its kind and value. A row with a missing account, or a missing value in a kind's
columns, takes no part in that kind's edges. An edge joins an account and an entity it
acted on at least once; it counts the rows behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.data.io import check_named_columns
from riskctl.errors import UsageError

SEPARATOR = "|"  # between the values of a composite entity
ACCOUNT, KIND, VALUE, ROWS = "account", "kind", "value", "rows"


@dataclass(frozen=True)
class EntityKind:
    """One `--items` value: its name as given and the columns it reads."""

    name: str
    columns: tuple[str, ...]


def entity_kinds(items: Sequence[str]) -> list[EntityKind]:
    """`--items` values parsed: `a` or `a+b` (composite); each kind once."""
    kinds: list[EntityKind] = []
    for text in items:
        columns = tuple(c.strip() for c in text.split("+"))
        name = "+".join(columns)
        if name not in [k.name for k in kinds]:
            kinds.append(EntityKind(name, columns))
    return kinds


def check_graph_columns(
    columns: list[str], accounts: str, kinds: list[EntityKind], time: str
) -> None:
    """UsageError for an unknown column, or an entity kind that is the account column."""
    check_named_columns("--accounts", [accounts], columns)
    check_named_columns("--items", [c for k in kinds for c in k.columns], columns)
    check_named_columns("--time", [time], columns)
    if not kinds:
        raise UsageError("no --items column given", hint="pass --items COLUMN, e.g. seller_id")
    for kind in kinds:
        if accounts in kind.columns:
            raise UsageError(
                f"--items {kind.name} uses the --accounts column '{accounts}'",
                hint="pass entities the accounts act on, e.g. --items seller_id --items device_id",
            )
        if len(set(kind.columns)) < len(kind.columns):
            raise UsageError(f"--items {kind.name} names a column twice")


def entity_value(kind: EntityKind) -> pl.Expr:
    """A row's entity of `kind` as text (its columns joined by SEPARATOR); null when any is."""
    return pl.concat_str([pl.col(c).cast(pl.String) for c in kind.columns], separator=SEPARATOR)


def account_value(accounts: str) -> pl.Expr:
    return pl.col(accounts).cast(pl.String)


def edge_rows(lf: pl.LazyFrame, accounts: str, kinds: list[EntityKind]) -> pl.LazyFrame:
    """One row per (account, kind, value) with the rows behind it, nulls left out."""
    parts = [
        lf.select(
            account_value(accounts).alias(ACCOUNT),
            pl.lit(kind.name).alias(KIND),
            entity_value(kind).alias(VALUE),
        ).drop_nulls()
        for kind in kinds
    ]
    return pl.concat(parts).group_by(ACCOUNT, KIND, VALUE).agg(pl.len().alias(ROWS))


@dataclass(frozen=True)
class Graph:
    """Edges as indices into the sorted account names and sorted (kind, value) entities."""

    ea: np.ndarray
    ei: np.ndarray
    rows: np.ndarray
    accounts: pl.Series
    entities: pl.DataFrame  # kind, value

    @property
    def n_acct(self) -> int:
        return len(self.accounts)

    @property
    def n_item(self) -> int:
        return self.entities.height


def build_graph(edges: pl.DataFrame) -> Graph:
    """The graph of `edge_rows` output; the same edges in any order give the same graph."""
    accounts = edges.get_column(ACCOUNT).unique().sort()
    entities = edges.select(KIND, VALUE).unique().sort(KIND, VALUE)
    indexed = (
        edges.join(accounts.to_frame().with_row_index("_a"), on=ACCOUNT)
        .join(entities.with_row_index("_i"), on=[KIND, VALUE])
        .sort("_a", "_i")
    )
    return Graph(
        indexed["_a"].to_numpy().astype(np.int64),
        indexed["_i"].to_numpy().astype(np.int64),
        indexed[ROWS].to_numpy().astype(np.int64),
        accounts,
        entities,
    )
