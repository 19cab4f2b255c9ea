"""A categorical value that arrives with another type than in training is mapped only when
it is exactly a trained category written as text; otherwise the table is refused. Never
silently all unseen."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from riskctl.errors import DataError
from riskctl.model.features import ModelFeature, encode, value_kind


def _feature(categories: list[str], dtype: str = "String") -> list[ModelFeature]:
    return [
        ModelFeature("code", "categorical", dtype, categories),
        ModelFeature("x", "numeric", "Float64"),
    ]


def test_kinds() -> None:
    assert value_kind(pl.String) == value_kind("String") == value_kind(pl.Categorical) == "text"
    assert value_kind(pl.Int8) == value_kind("UInt32") == "integers"
    assert value_kind(pl.Float32) == "decimals" and value_kind(pl.Boolean) == "booleans"


def test_integers_whose_text_is_a_category_map_exactly() -> None:
    features = _feature(["12", "3", "7"])
    text = pl.DataFrame({"code": ["3", "7", None, "12"], "x": [1.0, 2.0, 3.0, 4.0]})
    ints = text.with_columns(pl.col("code").cast(pl.Int64))
    a, b = encode(text, features), encode(ints, features)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert a.unseen == b.unseen == {}


@pytest.mark.parametrize(
    ("categories", "values", "dtype"),
    [
        (["03", "07", "12"], [3, 7, 12], pl.Int64),  # leading zeros lost in a CSV export
        (["a", "b"], [1, 2], pl.Int64),  # nothing in common: all would be unseen
        (["3", "7"], [3.0, 7.0], pl.Float64),  # 3.0 is not the text 3
    ],
)
def test_values_that_do_not_round_trip_are_refused(categories, values, dtype) -> None:
    df = pl.DataFrame({"code": values, "x": [1.0] * len(values)}, schema_overrides={"code": dtype})
    with pytest.raises(DataError) as err:
        encode(df, _feature(categories))
    message = str(err.value)
    assert "column 'code' held text when the detector was trained" in message
    assert f"holds {value_kind(dtype)} here" in message


def test_text_for_an_integer_category_maps_when_exact_and_refuses_otherwise() -> None:
    features = _feature(["1", "2"], dtype="Int64")
    ok = pl.DataFrame({"code": ["1", "2", "2"], "x": [0.0, 1.0, 2.0]})
    ints = ok.with_columns(pl.col("code").cast(pl.Int64))
    assert np.array_equal(encode(ok, features).values, encode(ints, features).values)
    with pytest.raises(DataError, match="held integers when the detector was trained"):
        encode(pl.DataFrame({"code": ["01", "2"], "x": [0.0, 1.0]}), features)


def test_unseen_values_of_the_same_type_are_still_counted() -> None:
    df = pl.DataFrame({"code": ["03", "99", "99"], "x": [0.0, 1.0, 2.0]})
    assert encode(df, _feature(["03", "07"])).unseen == {"code": 2}


def test_whole_decimals_are_the_integer_codes_they_hold() -> None:
    features = _feature(["1", "2", "3"], dtype="Int64")
    ints = pl.DataFrame({"code": [1, 2, None, 3], "x": [0.0, 1.0, 2.0, 3.0]})
    floats = ints.with_columns(pl.col("code").cast(pl.Float64))
    with_nan = floats.with_columns(pl.col("code").fill_null(float("nan")))
    expected = encode(ints, features).values
    assert np.array_equal(encode(floats, features).values, expected, equal_nan=True)
    assert np.array_equal(encode(with_nan, features).values, expected, equal_nan=True)
    with pytest.raises(DataError, match=r"e\.g\. '2\.5'"):
        encode(pl.DataFrame({"code": [1.0, 2.5], "x": [0.0, 1.0]}), features)
    with pytest.raises(DataError, match=r"e\.g\. '9'"):  # whole, but not a trained code
        encode(pl.DataFrame({"code": [1.0, 9.0], "x": [0.0, 1.0]}), features)
    with pytest.raises(DataError, match="1e"):  # whole, but beyond exact integers
        encode(pl.DataFrame({"code": [1.0, 1e30], "x": [0.0, 1.0]}), features)


@pytest.mark.parametrize(
    ("categories", "values", "dtype", "words"),
    [
        # the CSV read of `03` is 3, which is also the trained `3`: both trained, refused
        (["03", "12", "07", "3", "007"], [3, 12, 3], pl.Int64, "'03' and '3' both read as"),
        (["3", "03"], [3], pl.Int64, "'3' and '03' both read as the number 3"),
        (["+3", "3"], [3], pl.Int32, "'+3' and '3' both read as the number 3"),
        (["-5", "-05"], [-5], pl.Int64, "'-5' and '-05' both read as the number -5"),
        (["3.0", "3"], [3], pl.UInt8, "'3.0' and '3' both read as the number 3"),
        (["1e3", "1000"], [1000], pl.Int64, "'1e3' and '1000' both read as"),
        (["2.50", "2.5"], [2.5], pl.Float64, "'2.50' and '2.5' both read as the number 2.5"),
        # one non-canonical number text: the numbers cannot say which text they were
        (["03", "12"], [12], pl.Int64, "'03' reads as the number 3, which is written '3'"),
        ([" 3", "12"], [12], pl.Int64, "' 3' reads as the number 3"),
        (["+3", "12"], [12], pl.Int64, "'+3' reads as the number 3"),
        (["-07", "12"], [12], pl.Int64, "'-07' reads as the number -7"),
        (["1_000", "12"], [12], pl.Int64, "'1_000' reads as the number 1000"),
        (["\u0663", "12"], [12], pl.Int64, "reads as the number 3"),  # Arabic-Indic three
        (["2.5", "3"], [2.5], pl.Float64, "'3' reads as the number 3.0, which is written '3.0'"),
        (["-0.50", "1.0"], [1.0], pl.Float32, "'-0.50' reads as the number -0.5"),
    ],
)
def test_numbers_that_cannot_name_one_category_are_refused(categories, values, dtype, words):
    df = pl.DataFrame({"code": values, "x": [1.0] * len(values)}, schema_overrides={"code": dtype})
    with pytest.raises(DataError) as err:
        encode(df, _feature(categories))
    message = str(err.value)
    assert "column 'code' held text when the detector was trained" in message
    assert words in message and "without loss" in message and "\n" not in message
    # the same table with the trained text scores as before
    text = df.with_columns(pl.col("code").cast(pl.String))
    assert encode(text, _feature(categories)).values.shape == (df.height, 2)


@pytest.mark.parametrize(
    ("categories", "values", "dtype"),
    [
        (["3", "12", "-4", "gift_cards", "0"], [3, 12, -4, 0, None], pl.Int64),
        (["3.5", "12", "a"], [12, 12], pl.Int64),  # 3.5 is no integer: no clash in int data
        (["2.5", "3.0", "-0.5", "nan?"], [2.5, 3.0, -0.5], pl.Float64),
    ],
)
def test_canonical_number_texts_still_map_exactly(categories, values, dtype) -> None:
    df = pl.DataFrame({"code": values, "x": [1.0] * len(values)}, schema_overrides={"code": dtype})
    text = df.with_columns(pl.col("code").cast(pl.String))
    a, b = encode(df, _feature(categories)), encode(text, _feature(categories))
    assert np.array_equal(a.values, b.values, equal_nan=True)
