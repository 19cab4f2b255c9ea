"""Comparisons on NaN or infinity are unknown, like comparisons on SQL NULL.

polars orders NaN above every number, and `amount / 0` is infinite: left alone, the rule
`amount / 0 > 1` would fire on every row and `score > 0.9` on every NaN score. Here each
operand of a comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`, BETWEEN, IN) that is a float is
replaced by NULL where it is NaN or infinite, so the comparison is NULL and the condition,
like SQL's WHERE, does not match that row. A comparison with a decimal literal
(`score > 0.95`), which polars' SQL compiles to its own function with its own rounding, is
kept as it is and made NULL where a float operand is not finite. In IS NULL, IS NOT NULL
and COALESCE a NaN is NULL: missing, as in labels and scores.

The rewrite walks polars' own serialised expression tree (JSON) and wraps the operands, so
the condition stays one vectorised polars expression.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl

COMPARISONS = {"Eq", "NotEq", "Lt", "LtEq", "Gt", "GtEq", "EqValidity", "NotEqValidity"}
OPERAND, RESULT = "__riskctl_operand__", "__riskctl_result__"


def is_finite(x: pl.Expr) -> pl.Expr:
    """Whether `x` is a finite number (NULL for NULL): `x - x` is 0 for a finite number and
    NaN for NaN or infinity. Two vectorised kernels, cheaper than `Expr.is_finite`, and no
    infinite literal, which polars' JSON form of an expression cannot hold."""
    return (x - x) == 0


def _templates() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The operand guard (`x`, NULL where not finite), the result guard (a comparison, NULL
    where its operand `x` is not finite) and the missing guard (`x`, NULL where NaN), as
    serialised trees with placeholders."""
    x, result = pl.col(OPERAND), pl.col(RESULT)
    operand = pl.when(is_finite(x)).then(x)
    compared = pl.when(is_finite(x)).then(result)
    trees = [json.loads(e.meta.serialize(format="json")) for e in (operand, compared)]
    return trees[0], trees[1], json.loads(x.fill_nan(None).meta.serialize(format="json"))


# functions about missing values: NaN is missing there, as in labels and scores
MISSING_TESTS = [{"Boolean": "IsNull"}, {"Boolean": "IsNotNull"}, "Coalesce"]


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict) and node.get("Column") in values and len(node) == 1:
        return values[node["Column"]]
    if isinstance(node, dict):
        return {k: _substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    return node


def _to_expr(node: Any) -> pl.Expr:
    return pl.Expr.deserialize(io.StringIO(json.dumps(node)), format="json")


def _is_float(node: Any, frame: pl.LazyFrame) -> bool:
    try:
        dtype = frame.select(_to_expr(node)).collect_schema().dtypes()[0]
    except (pl.exceptions.PolarsError, ValueError):
        return False
    return dtype.is_float()


def _walk(node: Any, frame: pl.LazyFrame, guards: tuple[dict[str, Any], ...]) -> Any:
    if isinstance(node, list):
        return [_walk(v, frame, guards) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _walk(v, frame, guards) for k, v in node.items()}
    operand_guard, result_guard, missing_guard = guards

    def wrap(operand: Any) -> Any:
        if not _is_float(operand, frame):
            return operand
        return _substitute(operand_guard, {OPERAND: operand})

    binary = node.get("BinaryExpr")
    if isinstance(binary, dict) and binary.get("op") in COMPARISONS:
        binary["left"], binary["right"] = wrap(binary["left"]), wrap(binary["right"])
    function = node.get("Function")
    if isinstance(function, dict) and _is_sql_comparison(function.get("function")):
        # polars' SQL comparison (a decimal literal: `x > 2.5`) has its own rounding rules
        # and misreads a rewritten operand: it stays as it is and its result is guarded
        for operand in function["input"]:
            if _is_float(operand, frame):
                node = _substitute(result_guard, {OPERAND: operand, RESULT: node})
    elif isinstance(function, dict) and function.get("function") in MISSING_TESTS:
        function["input"] = [
            _substitute(missing_guard, {OPERAND: v}) if _is_float(v, frame) else v
            for v in function["input"]
        ]
    elif isinstance(function, dict) and _is_membership(function.get("function")):
        inputs = function["input"]
        function["input"] = [wrap(inputs[0]), *inputs[1:]]
    return node


def _is_sql_comparison(function: Any) -> bool:
    if not isinstance(function, dict) or not isinstance(function.get("Sql"), dict):
        return False
    return function["Sql"].get("Binary") in COMPARISONS


def _is_membership(function: Any) -> bool:
    text = json.dumps(function)
    return any(name in text for name in ('"IsIn"', '"IsBetween"'))


def unknown_when_not_finite(expr: pl.Expr, schema: pl.Schema) -> pl.Expr:
    """`expr` with every float comparison operand NULL where it is NaN or infinite."""
    frame = pl.LazyFrame(schema=schema)
    try:
        tree = json.loads(expr.meta.serialize(format="json"))
        return _to_expr(_walk(tree, frame, _templates()))
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError, RecursionError):
        # a tree this version cannot round-trip: at least no NaN or infinite column matches
        floats = [c for c in expr.meta.root_names() if c in schema and schema[c].is_float()]
        return pl.all_horizontal(expr, *[is_finite(pl.col(c)) for c in floats])


def divides(expr: pl.Expr) -> bool:
    """Whether the condition divides (a zero divisor then makes it unknown, not true)."""
    try:
        text = expr.meta.serialize(format="json")
    except (pl.exceptions.PolarsError, ValueError):
        return False
    return any(op in text for op in ('"Div"', '"TrueDivide"', '"FloorDivide"', '"Modulus"'))
