"""One coding of labels: the lazy expression a streaming pass uses and the eager one every
in-memory path uses give the same codes, whatever the column's type."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.data.values import OTHER_LABEL, label_code, label_codes


def oracle(value: object) -> int | None:
    """1 bad, 0 good, None unknown, OTHER_LABEL anything else: by definition."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value in (0, 1):  # True == 1 and False == 0 too
        return int(value)  # type: ignore[call-overload]
    return OTHER_LABEL


VALUES = {
    pl.Int64: st.one_of(st.none(), st.sampled_from([0, 1, 2, -1, 7])),
    pl.UInt8: st.one_of(st.none(), st.sampled_from([0, 1, 2, 255])),
    pl.Float64: st.one_of(
        st.none(), st.sampled_from([0.0, 1.0, -0.0, 0.5, 2.0, float("nan"), float("inf")])
    ),
    pl.Boolean: st.one_of(st.none(), st.booleans()),
}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.data())
@pytest.mark.parametrize("dtype", list(VALUES))
def test_lazy_and_eager_coding_agree_with_the_definition(dtype, data) -> None:
    values = data.draw(st.lists(VALUES[dtype], max_size=30))
    series = pl.Series("y", values, dtype=dtype)
    want = [oracle(v) for v in values]
    lazy = pl.LazyFrame({"y": series}).select(label_code("y", dtype)).collect()["y"]
    assert lazy.dtype == pl.Int8 and lazy.to_list() == want
    eager = label_codes(series)
    assert eager.dtype == pl.Int8 and eager.name == "y" and eager.to_list() == want


def test_empty_text_labels_are_all_unknown() -> None:
    series = pl.Series("y", ["", None, ""], dtype=pl.String)
    assert label_codes(series).to_list() == [None, None, None]


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([0.0, 1.0, None, float("nan")], pl.Float64),
        ([0, 1, None, None], pl.Int32),
        ([False, True, None, None], pl.Boolean),
    ],
)
def test_training_reads_0_1_labels_of_any_type_as_every_path_does(values, dtype) -> None:
    """Float 0/1 labels with NaN for unknown: what `simulate` reads, `train` reads too."""
    from riskctl.data.labels import binary_label

    column = pl.Series("y", values, dtype=dtype)
    assert binary_label(column, None, "t.csv").to_list() == [0, 1, None, None]
    assert binary_label(column, None, "t.csv").to_list() == label_codes(column).to_list()


def test_training_still_asks_which_value_is_bad_for_other_numbers() -> None:
    from riskctl.data.labels import binary_label
    from riskctl.errors import DataError

    with pytest.raises(DataError, match="not 0/1"):
        binary_label(pl.Series("y", [0.0, 2.0, 1.0]), None, "t.csv")
