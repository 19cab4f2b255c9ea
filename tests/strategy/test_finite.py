"""Conditions on NaN or infinity are unknown (false), like SQL NULL: against row by row."""

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.errors import ConfigError, Location
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.finite import divides

VALUES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, None, 2.5, -2.5, 3.5, -1.5]),
    st.floats(-1e6, 1e6, allow_nan=False),
)


def known(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def half_away(x: float) -> int:
    return int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b == 0:
        return None  # x / 0 is infinite or NaN: unknown
    return known(a / b)


# each condition with its row-by-row meaning (None: unknown, which does not match)
CONDITIONS = {
    "a > 1": lambda a, b: None if known(a) is None else a > 1,
    "a <= b": lambda a, b: None if None in (known(a), known(b)) else a <= b,
    "a / b > 1": lambda a, b: None if div(a, b) is None else div(a, b) > 1,
    "a / 0 > 1": lambda a, b: None,
    "a <> 2": lambda a, b: None if known(a) is None else a != 2,
    "a BETWEEN -5 AND 5": lambda a, b: None if known(a) is None else -5 <= a <= 5,
    "NOT (a < 0)": lambda a, b: None if known(a) is None else not a < 0,
    "a > 1 OR b > 1": lambda a, b: (
        (known(a) is not None and a > 1) or (known(b) is not None and b > 1)
    ),
    # decimal literals: polars' SQL compiles these comparisons differently from integer ones
    "a > 2.5": lambda a, b: None if known(a) is None else a > 2.5,
    "-1.5 >= a": lambda a, b: None if known(a) is None else a <= -1.5,
    "a <> 1.5": lambda a, b: None if known(a) is None else a != 1.5,
    "NOT (a < 0.5)": lambda a, b: None if known(a) is None else not a < 0.5,
    "a BETWEEN -2.5 AND 2.5": lambda a, b: None if known(a) is None else -2.5 <= a <= 2.5,
    "a IN (1.5, 0.0)": lambda a, b: None if known(a) is None else a in (1.5, 0.0),
    # NaN is missing where missing values are tested for
    "a IS NULL": lambda a, b: a is None or math.isnan(a),
    "a IS NOT NULL": lambda a, b: not (a is None or math.isnan(a)),
    "COALESCE(a, 7) > 6": lambda a, b: (
        True if a is None or math.isnan(a) else (None if known(a) is None else a > 6)
    ),
    # SQL's ROUND takes halves away from zero (polars' own rounding takes them to even)
    "ROUND(a) = 3": lambda a, b: None if known(a) is None else half_away(a) == 3,
    "ROUND(a) = -2": lambda a, b: None if known(a) is None else half_away(a) == -2,
    "a * 1.5 > b": lambda a, b: (
        None if None in (known(a), known(b)) or not math.isfinite(a * 1.5) else a * 1.5 > b
    ),
}


@settings(max_examples=60, derandomize=True, deadline=None)
@given(rows=st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=40))
def test_conditions_match_row_by_row(rows: list[tuple[float | None, float | None]]) -> None:
    df = pl.DataFrame(rows, schema={"a": pl.Float64, "b": pl.Float64}, orient="row")
    for sql, oracle in CONDITIONS.items():
        got = df.select(compile_condition(sql, df.schema, Location(Path("s.yaml")))).to_series()
        want = [bool(oracle(a, b)) for a, b in rows]
        assert got.to_list() == want, sql


def test_division_is_noticed() -> None:
    assert divides(pl.sql_expr("amount / days > 3"))
    assert not divides(pl.sql_expr("amount > 3"))


def test_text_compared_with_a_number_names_the_column() -> None:
    schema = pl.Schema({"x": pl.String, "a": pl.Float64})
    with pytest.raises(ConfigError, match="'x' holds text in this data"):
        compile_condition("x > 1 AND a > 0", schema, Location(Path("s.yaml")))


def test_a_time_compared_with_text_shows_the_cast() -> None:
    schema = pl.Schema({"t": pl.Datetime("us")})
    with pytest.raises(ConfigError, match=r"t > CAST\('2026-01-10' AS TIMESTAMP\)"):
        compile_condition("t > '2026-01-10'", schema, Location(Path("s.yaml")))
    ok = compile_condition("t > CAST('2026-01-10' AS TIMESTAMP)", schema, Location(Path("s.yaml")))
    assert isinstance(ok, pl.Expr)
