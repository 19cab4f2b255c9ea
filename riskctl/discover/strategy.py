"""What a block means for a strategy: the share of its rows the strategy already stops, its
bad rate against the base rate, and a draft shadow rule in the strategy's SQL that covers
its entities (ready for `riskctl simulate`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.discover.graph import EntityKind
from riskctl.sqlsafe import sql_expr

STOPPED = "_discover_stopped"
LABEL = "_discover_label"
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
# words a plain column name cannot be in a condition; such names are quoted
_KEYWORDS = frozenset(
    {
        *("and", "or", "not", "in", "is", "null", "true", "false", "select", "from"),
        *("where", "case", "when", "then", "else", "end", "between", "like", "ilike"),
        *("as", "cast", "order", "group", "by", "having", "limit"),
    }
)


def with_decisions(lf: pl.LazyFrame, strategy: Path) -> pl.LazyFrame:
    """`lf` plus a boolean column: the strategy flags the row (any action but the pass one).
    The strategy is compiled against `lf`'s columns here, so a bad one fails before any row
    is read; rows are decided one by one, so a filter after this gives the same decisions."""
    from riskctl.strategy.decisions import FLAGGED
    from riskctl.strategy.engine import compile_strategy, decide
    from riskctl.strategy.load import load_strategy

    schema = lf.collect_schema()
    compiled = compile_strategy(load_strategy(strategy), schema)
    decided = decide(compiled, lf).with_columns(pl.col(FLAGGED).alias(STOPPED))
    return decided.select(*schema.names(), STOPPED)


def strategy_action(strategy: Path | None) -> str:
    """The action a draft rule proposes: the strategy's most severe one, else `review`."""
    if strategy is None:
        return "review"
    from riskctl.strategy.load import load_strategy

    return load_strategy(strategy).strategy.actions[0]


@dataclass(frozen=True)
class Meaning:
    share_stopped: float | None
    bad_rate: float | None
    unlabelled: int | None


def mean_of(values: pl.Series) -> float | None:
    """The mean of the non-missing values as a float; None when there is none."""
    known = values.drop_nulls().cast(pl.Float64).to_numpy()
    return float(known.mean()) if len(known) else None


def meaning(rows: pl.DataFrame) -> Meaning:
    """Share stopped and bad rate of a block's rows (columns STOPPED and LABEL if present)."""
    stopped = mean_of(rows[STOPPED]) if STOPPED in rows.columns else None
    if LABEL not in rows.columns:
        return Meaning(stopped, None, None)
    return Meaning(stopped, mean_of(rows[LABEL]), rows[LABEL].null_count())


def column_sql(name: str) -> str:
    """A column as a condition names it: plain, or in double quotes."""
    if _PLAIN.match(name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def literal_sql(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def draft_condition(
    rows: pl.DataFrame, kinds: list[EntityKind], values: dict[str, set[str]]
) -> str:
    """A condition matching the block's entities, from the block's rows (`values`: each
    kind's entity values in the block, as the graph names them). Checked by the same SQL
    guard as every strategy condition."""
    from riskctl.discover.graph import entity_value

    parts: list[str] = []
    for kind in kinds:
        wanted = values.get(kind.name)
        if not wanted:
            continue
        combos = (
            rows.filter(entity_value(kind).is_in(sorted(wanted)))
            .select(kind.columns)
            .unique()
            .sort(kind.columns)
        )
        if len(kind.columns) == 1:
            col = kind.columns[0]
            listed = ", ".join(literal_sql(v) for v in combos[col].to_list())
            parts.append(f"{column_sql(col)} IN ({listed})")
            continue
        for combo in combos.iter_rows():
            pairs = zip(kind.columns, combo, strict=True)
            parts.append(
                "(" + " AND ".join(f"{column_sql(c)} = {literal_sql(v)}" for c, v in pairs) + ")"
            )
    text = " OR ".join(parts) if len(parts) > 1 else (parts[0] if parts else "FALSE")
    sql_expr(text, None, "draft rule")
    return text
