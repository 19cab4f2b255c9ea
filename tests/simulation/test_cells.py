"""Packed cell keys against a plain group-by on the unpacked keys (the obvious way)."""

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.simulation.cells import (
    AMOUNT,
    AMOUNT_SQ,
    BAD,
    CONTROL,
    DAY,
    LABEL,
    NONE,
    ROWS,
    STOPPED,
    Side,
    _pack,
    by_column,
    cell_query,
    day_number,
    mask_column,
    matured_column,
    segment_code,
    segment_column,
    sorted_cells,
)
from riskctl.simulation.roles import Roles
from riskctl.strategy.schema import History

SEGMENTS = ("new", "old", "vip")


def _rows(seed: int, n: int, widths: list[int]) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("1969-12-25T00:00:00", "us")  # days on both sides of 1970
    times = start + (rng.integers(0, 20 * 86_400, n) * 1_000_000).astype("timedelta64[us]")
    cols: dict[str, object] = {
        "t": pl.Series(times).set(pl.Series(rng.random(n) < 0.05), None),
        "y": pl.Series(rng.choice([0, 1, -9], n).astype(np.int8)).set(
            pl.Series(rng.random(n) < 0.1), None
        ),
        # a few NaN, infinite and missing amounts: counted, to be refused after the pass
        "amount": pl.Series(
            np.round(rng.random(n) * 100, 2)
            * rng.choice([1.0, np.nan, np.inf, -np.inf], n, p=[0.96, 0.02, 0.01, 0.01])
        ).set(pl.Series(rng.random(n) < 0.03), None),
        "score": np.where(rng.random(n) < 0.05, np.nan, rng.random(n)),
        "decision": rng.choice(["block", "allow"], n),
        "ctl": rng.random(n) < 0.1,
        "country": pl.Series(rng.choice(["de", "fr", None], n).tolist(), dtype=pl.String),
        "_keep": rng.random(n) < 0.8,
    }
    for i, width in enumerate(widths):
        # masks over up to 64 deciders, few distinct so cells repeat
        top = np.iinfo(np.uint64).max
        pool = rng.integers(0, top, 6, dtype=np.uint64, endpoint=True) >> np.uint64(64 - width)
        cols[f"s{i}_mask"] = pool[rng.integers(0, 6, n)]
        cols[f"s{i}_seg"] = pl.Series(rng.choice([*SEGMENTS, None], n).tolist(), dtype=pl.String)
    return pl.DataFrame(cols)


def _expected(df: pl.DataFrame, sides: list[Side], roles: Roles, by: list[str]) -> pl.DataFrame:
    keys = [pl.col("_keep").alias(matured_column(s.prefix)) for s in sides]
    keys += [pl.col("t").dt.date().alias(DAY), pl.col("y").cast(pl.Int8).alias(LABEL)]
    keys += [pl.col(mask_column(s.prefix)).cast(pl.UInt64) for s in sides]
    keys += [
        pl.col(f"{s.prefix}seg").fill_null(NONE).alias(segment_column(s.prefix)) for s in sides
    ]
    keys += [pl.col(c).cast(pl.String).alias(by_column(c)) for c in by]
    if roles.history:
        keys += [pl.col("decision").is_in(["block"]).alias(STOPPED), pl.col("ctl").alias(CONTROL)]
    amount = pl.col("amount")
    bad = (pl.col("score").is_null() | ~pl.col("score").is_finite()).sum().alias(BAD + "score")
    return sorted_cells(
        df.group_by(keys).agg(
            pl.len().alias(ROWS),
            amount.sum().alias(AMOUNT),
            (amount * amount).sum().alias(AMOUNT_SQ),
            bad,
            (amount.is_nan() | amount.is_infinite()).sum().alias(BAD + "amount"),
        )
    )


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    widths=st.lists(st.integers(1, 64), min_size=1, max_size=2),
    history=st.booleans(),
    by=st.booleans(),
)
def test_packed_cells_equal_a_plain_group_by(
    seed: int, widths: list[int], history: bool, by: bool
) -> None:
    df = _rows(seed, 2_000, widths)
    sides = [Side(f"s{i}_", w, SEGMENTS) for i, w in enumerate(widths)]
    coded = df.with_columns(
        segment_code(f"{s.prefix}seg", list(SEGMENTS)).alias(segment_column(s.prefix))
        for s in sides
    )
    roles = Roles(
        "y", "t", "amount", History(decision="decision", control="ctl") if history else None
    )
    matured = {s.prefix: pl.col("_keep") for s in sides}
    groups = ["country"] if by else []
    got = sorted_cells(cell_query(coded.lazy(), sides, roles, matured, groups, ["score"]).collect())
    want = _expected(df, sides, roles, groups)
    assert got.columns == want.columns
    assert got.schema == want.schema
    assert got.drop(AMOUNT, AMOUNT_SQ).equals(want.drop(AMOUNT, AMOUNT_SQ))
    np.testing.assert_allclose(got[AMOUNT].to_numpy(), want[AMOUNT].to_numpy(), rtol=1e-12)
    assert (
        got[BAD + "amount"].sum() == df["amount"].is_nan().sum() + df["amount"].is_infinite().sum()
    )


def test_no_time_and_no_deciders() -> None:
    df = pl.DataFrame({"y": pl.Series([1, 0, None, 1], dtype=pl.Int8), "x": [1, 2, 3, 4]})
    sides = [Side("s0_", 0)]
    frame = df.lazy().with_columns(
        pl.lit(0, dtype=pl.UInt64).alias("s0_mask"), pl.lit(0).alias("s0_segment")
    )
    got = cell_query(frame, sides, Roles("y"), {"s0_": pl.lit(True)}, []).collect()
    got = sorted_cells(got)
    assert got[LABEL].to_list() == [0, 1, None]
    assert got[ROWS].to_list() == [1, 2, 1]
    assert got[DAY].null_count() == 3
    assert got[segment_column("s0_")].to_list() == [NONE] * 3


@pytest.mark.parametrize("widths", [[64, 64, 33, 9, 1, 1], [1] * 130, [40, 30, 20, 10]])
def test_pack_fits_every_field_in_one_word(widths: list[int]) -> None:
    class F:
        def __init__(self, width: int) -> None:
            self.width = width

    words = _pack([F(w) for w in widths])  # type: ignore[list-item]
    placed = sorted(i for slots in words for i, _ in slots)
    assert placed == list(range(len(widths)))
    for slots in words:
        spans = sorted((shift, shift + widths[i]) for i, shift in slots)
        assert spans[-1][1] <= 64
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_day_round_trips_far_dates() -> None:
    days = [dt.date(1, 1, 1), dt.date(1969, 12, 31), dt.date(1970, 1, 1), dt.date(9999, 12, 31)]
    df = pl.DataFrame({"t": days, "y": pl.Series([0, 1, 0, 1], dtype=pl.Int8)})
    frame = df.lazy().with_columns(
        pl.lit(0, dtype=pl.UInt64).alias("s0_mask"), pl.lit(0).alias("s0_segment")
    )
    got = cell_query(frame, [Side("s0_", 0)], Roles("y", "t"), {"s0_": pl.lit(True)}, [])
    assert sorted(got.collect()[DAY].to_list()) == days


@pytest.mark.parametrize(
    "dtype",
    [
        pl.Datetime("ns"),
        pl.Datetime("us"),
        pl.Datetime("ms"),
        pl.Datetime("us", "Asia/Kolkata"),
        pl.Datetime("ms", "America/Los_Angeles"),
        pl.Date,
    ],
)
def test_day_of_every_time_type_is_its_date(dtype: pl.DataType) -> None:
    rng = np.random.default_rng(3)
    # seconds around 1970 (both sides of it) and in the far past and future, whole days too
    seconds = np.concatenate(
        [rng.integers(-3 * 86_400, 3 * 86_400, 500), rng.integers(-(2**33), 2**33, 500)]
    )
    seconds = np.concatenate([seconds, seconds - seconds % 86_400, seconds - 1])
    times = pl.Series("t", seconds * 1_000_000).cast(pl.Datetime("us"))
    frame = pl.DataFrame({"t": times}).with_columns(
        pl.col("t").dt.replace_time_zone("UTC").dt.convert_time_zone(dtype.time_zone)  # type: ignore[attr-defined]
        if getattr(dtype, "time_zone", None)
        else pl.col("t").cast(dtype)
    )
    missing = pl.Series(rng.random(frame.height) < 0.05)
    frame = frame.with_columns(pl.when(missing).then(None).otherwise(pl.col("t")).alias("t"))
    got = frame.select(day_number("t", frame.schema["t"])).to_series()
    want = frame.select(pl.col("t").dt.date().cast(pl.Int64)).to_series()
    assert got.equals(want, check_names=False)


def _cell_sums(df: pl.DataFrame) -> pl.DataFrame:
    sides = [Side("s0_", 8, SEGMENTS)]
    coded = df.with_columns(segment_code("s0_seg", list(SEGMENTS)).alias(segment_column("s0_")))
    query = cell_query(coded.lazy(), sides, Roles("y", "t", "amount"), {"s0_": pl.col("_keep")}, [])
    return sorted_cells(query.collect(engine="streaming"))


def test_amount_sums_do_not_depend_on_row_order_or_chunks() -> None:
    """A parallel group-by adds partial sums in whatever order its threads finish: the cells'
    amount sums must still be bit-identical for the same rows, however ordered or chunked."""
    df = _rows(7, 60_000, [8]).with_columns(
        # money-like amounts spanning magnitudes, whose float sum depends on the order
        amount=pl.Series(np.round(np.random.default_rng(7).lognormal(3, 2, 60_000), 2))
    )
    first = _cell_sums(df)
    for seed in range(4):
        order = np.random.default_rng(seed).permutation(df.height)
        shuffled = df[order]
        chunked = pl.concat(
            [shuffled.slice(i, 997) for i in range(0, df.height, 997)], rechunk=False
        )
        again = _cell_sums(chunked)
        assert again.equals(first)
    # against the correctly rounded sum of each cell's amounts
    amounts = df.group_by(pl.col("_keep"), pl.col("t").dt.date(), pl.col("y"), "s0_mask", "s0_seg")
    exact = sorted(math.fsum(a) for a in amounts.agg("amount")["amount"].to_list())
    np.testing.assert_allclose(sorted(first[AMOUNT].to_list()), exact, rtol=1e-15, atol=0)


def test_amount_sums_of_large_negative_and_non_finite_values() -> None:
    """Values beyond the exact range, negative ones, NaN and infinities still add up as floats."""
    df = _rows(3, 50, [4]).with_columns(
        _keep=pl.lit(True), y=pl.lit(1, dtype=pl.Int8), t=pl.lit(dt.datetime(2024, 1, 1))
    )
    df = df.with_columns(pl.lit("new").alias("s0_seg"), pl.lit(1, dtype=pl.UInt64).alias("s0_mask"))
    cases = {
        (1e30, 2.5, -0.75, 1e-30): 1e30 + 1.75,
        (-3.25, 1.5): -1.75,
        (1.0, np.inf): np.inf,
        (np.inf, -np.inf): np.nan,
        (1.0, np.nan): np.nan,
    }
    for values, want in cases.items():
        rows = df.head(len(values)).with_columns(amount=pl.Series(values, dtype=pl.Float64))
        got = _cell_sums(rows)
        assert got.height == 1
        np.testing.assert_equal(got[AMOUNT][0], want)
