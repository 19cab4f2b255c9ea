"""Comparisons on NaN or infinity are unknown, like comparisons on SQL NULL.

polars orders NaN above every number, and `amount / 0` is infinite: left alone, the rule
`amount / 0 > 1` would fire on every row and `score > 0.9` on every NaN score. Here each
operand of a comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`, BETWEEN, IN) that is a float is
replaced by NULL where it is NaN or infinite, so the comparison is NULL and the condition,
like SQL's WHERE, does not match that row.

The rewrite walks polars' own serialised expression tree (JSON) and wraps the operands, so
the condition stays one vectorised polars expression.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl

COMPARISONS = {"Eq", "NotEq", "Lt", "LtEq", "Gt", "GtEq", "EqValidity", "NotEqValidity"}
PLACEHOLDER = "__riskctl_operand__"


def _guard_template() -> dict[str, Any]:
    x = pl.col(PLACEHOLDER)
    return json.loads(pl.when(x.is_finite()).then(x).meta.serialize(format="json"))


def _substitute(node: Any, operand: Any) -> Any:
    if node == {"Column": PLACEHOLDER}:
        return operand
    if isinstance(node, dict):
        return {k: _substitute(v, operand) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, operand) for v in node]
    return node


def _to_expr(node: Any) -> pl.Expr:
    return pl.Expr.deserialize(io.StringIO(json.dumps(node)), format="json")


def _is_float(node: Any, frame: pl.LazyFrame) -> bool:
    try:
        dtype = frame.select(_to_expr(node)).collect_schema().dtypes()[0]
    except (pl.exceptions.PolarsError, ValueError):
        return False
    return dtype.is_float()


def _walk(node: Any, frame: pl.LazyFrame, guard: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_walk(v, frame, guard) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _walk(v, frame, guard) for k, v in node.items()}

    def wrap(operand: Any) -> Any:
        return _substitute(guard, operand) if _is_float(operand, frame) else operand

    binary = node.get("BinaryExpr")
    if isinstance(binary, dict) and binary.get("op") in COMPARISONS:
        binary["left"], binary["right"] = wrap(binary["left"]), wrap(binary["right"])
    function = node.get("Function")
    if isinstance(function, dict) and _is_membership(function.get("function")):
        inputs = function["input"]
        function["input"] = [wrap(inputs[0]), *inputs[1:]]
    return node


def _is_membership(function: Any) -> bool:
    text = json.dumps(function)
    return any(name in text for name in ('"IsIn"', '"IsBetween"'))


def unknown_when_not_finite(expr: pl.Expr, schema: pl.Schema) -> pl.Expr:
    """`expr` with every float comparison operand NULL where it is NaN or infinite."""
    frame = pl.LazyFrame(schema=schema)
    try:
        tree = json.loads(expr.meta.serialize(format="json"))
        return _to_expr(_walk(tree, frame, _guard_template()))
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError):
        # a tree this version cannot round-trip: at least no NaN or infinite column matches
        floats = [c for c in expr.meta.root_names() if c in schema and schema[c].is_float()]
        return pl.all_horizontal(expr, *[pl.col(c).is_finite() for c in floats])


def divides(expr: pl.Expr) -> bool:
    """Whether the condition divides (a zero divisor then makes it unknown, not true)."""
    try:
        text = expr.meta.serialize(format="json")
    except (pl.exceptions.PolarsError, ValueError):
        return False
    return any(op in text for op in ('"Div"', '"TrueDivide"', '"FloorDivide"', '"Modulus"'))
