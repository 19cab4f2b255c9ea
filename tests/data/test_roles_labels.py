"""Labels as they come and numbers that are ids or codes, each with the reason shown."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from riskctl.data.labels import binary_label
from riskctl.data.roles import CATEGORICAL, ID, NUMERIC, infer_roles
from riskctl.errors import DataError, UsageError


@pytest.mark.parametrize(
    ("values", "bad", "expected"),
    [
        ([0, 1, None, 1], None, [0, 1, None, 1]),
        ([True, False, None], None, [1, 0, None]),
        ([-1, 1, 1, -1], "1", [0, 1, 1, 0]),
        ([-1, 1, 1, -1], "-1", [1, 0, 0, 1]),
        ([-1.0, 1.0, None], "-1", [1, 0, None]),
        (["fraud", "legit", None, "Fraud"], "fraud", [1, 0, None, 1]),
        (["yes", "no", " YES "], "yes", [1, 0, 1]),
        (["true", "false"], "true", [1, 0]),
        ([True, False], "true", [1, 0]),
        # missing is never good: null, NaN, an empty or a `NaN` text
        ([-1.0, 1.0, float("nan"), None], "-1", [1, 0, None, None]),
        ([-1.0, float("nan"), 1.0], "1", [0, None, 1]),
        (["fraud", "NaN", "", " ", "legit", None], "fraud", [1, None, None, None, 0, None]),
    ],
)
def test_labels_map_to_zero_one(values, bad, expected) -> None:
    got = binary_label(pl.Series("y", values), bad, "h.csv")
    assert got.dtype == pl.Int8 and got.to_list() == expected


@pytest.mark.parametrize(
    ("values", "bad", "message"),
    [
        ([-1, 1, 1], None, "h.csv: label column 'y' has values '-1', '1', not 0/1"),
        (["fraud", "legit"], None, "label column 'y' has values 'fraud', 'legit', not 0/1"),
        ([0, 1, 2], None, "has values '0', '1', '2', not 0/1"),
        (
            ["fraud", "legit"],
            "spam",
            "the bad value 'spam' matches no value of label column 'y'",
        ),
        ([-1, 1], "fraud", "the bad value 'fraud' matches no value"),
    ],
)
def test_labels_other_than_zero_one_need_bad(values, bad, message) -> None:
    with pytest.raises(DataError) as err:
        binary_label(pl.Series("y", values), bad, "h.csv")
    assert message in str(err.value)
    if bad is None:
        assert "--bad" in str(err.value)


def _roles(df: pl.DataFrame, **kw) -> dict[str, tuple[str, str]]:
    return {r.column: (r.role, r.why) for r in infer_roles(df, "is_bad", **kw)}


def test_numbers_that_identify_or_code_are_not_quantities() -> None:
    rng = np.random.default_rng(0)
    n = 3_000
    df = pl.DataFrame(
        {
            "ip": rng.integers(1, 2**32, n),  # an IPv4 address stored as an integer
            "ip_address": rng.integers(1, 2**32, n).astype(np.float64),
            "app": rng.integers(0, 300, n),
            "os": rng.integers(0, 50, n),
            "channel": rng.integers(0, 180, n),
            "device_id": rng.integers(0, 40, n),
            "user_id": np.arange(n),
            "row_number": rng.permutation(n),
            "accounts_per_device_7d": rng.integers(0, 9, n),
            "amount": rng.integers(1, 500, n),
            "hour": rng.integers(0, 24, n),
            "is_bad": rng.integers(0, 2, n),
        }
    )
    roles = _roles(df)
    assert roles["ip"] == (ID, "named like an IP address: a number that identifies, not a quantity")
    assert roles["ip_address"][0] == ID
    for code in ("app", "os", "channel"):
        assert roles[code][0] == CATEGORICAL and "named like a code" in roles[code][1]
    assert roles["device_id"][0] == CATEGORICAL and "named like an id" in roles["device_id"][1]
    assert roles["user_id"][0] == ID and "3,000 distinct" in roles["user_id"][1]
    assert roles["row_number"] == (ID, "integers, every one of 3,000 values distinct: an id")
    for quantity in ("accounts_per_device_7d", "amount", "hour"):
        assert roles[quantity][0] == NUMERIC
    forced = _roles(df, categorical=["hour"], features=["ip"])
    assert forced["hour"] == (CATEGORICAL, "--categorical")
    assert forced["ip"] == (NUMERIC, "--feature")  # the user decides
    with pytest.raises(UsageError, match="--categorical names unknown columns: 'nope'"):
        _roles(df, categorical=["nope"])
    with pytest.raises(UsageError, match="--categorical conflicts"):
        _roles(df, categorical=["app"], ids=["app"])
