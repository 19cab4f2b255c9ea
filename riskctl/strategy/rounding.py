"""SQL's ROUND in rule conditions rounds half away from zero, as SQL databases do.

polars' SQL front end compiles `ROUND(x)` to polars' own rounding, which takes halves to the
even neighbour (`ROUND(2.5)` is 2): a rule ported from a warehouse query would fire on other
rows wherever amounts end in .50. The condition's serialised tree (JSON) is rewritten so each
SQL ROUND uses polars' half-away-from-zero mode, staying one vectorised expression.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl

PLACEHOLDER = "__riskctl_rounded__"


def _away_from_zero(decimals: int) -> Any:
    expr = pl.col(PLACEHOLDER).round(decimals, mode="half_away_from_zero")
    return json.loads(expr.meta.serialize(format="json"))


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _rewrite(v) for k, v in node.items()}
    function = node.get("Function")
    sql = function.get("function", {}).get("Sql") if isinstance(function, dict) else None
    rounding = sql.get("Round") if isinstance(sql, dict) else None
    if isinstance(rounding, dict) and isinstance(rounding.get("decimals"), int):
        template = _away_from_zero(rounding["decimals"])
        inner = template["Function"]
        if inner.get("input") == [{"Column": PLACEHOLDER}]:
            inner["input"] = function["input"][:1]
            return template
    return node


def sql_rounding(expr: pl.Expr) -> pl.Expr:
    """`expr` with every SQL ROUND rounding halves away from zero (unchanged if this polars
    version serialises it differently)."""
    try:
        text = expr.meta.serialize(format="json")
        if '"Round"' not in text:
            return expr
        tree = _rewrite(json.loads(text))
        return pl.Expr.deserialize(io.StringIO(json.dumps(tree)), format="json")
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError, RecursionError):
        return expr
