"""Column roles: what each column of a history is for, and why.

A detector learns from feature columns only. Entity ids and IP addresses identify rather than
describe a row (a model that memorises them does not generalise), constant columns carry
nothing, and raw timestamps other than the event time leak the calendar; those are left out
with a reason the user can read and override.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import polars as pl

from riskctl.data.io import check_named_columns
from riskctl.errors import UsageError

LABEL, TIME, ID, AMOUNT = "label", "time", "id", "amount"
NUMERIC, CATEGORICAL, DATETIME, EXCLUDED = (
    "numeric feature",
    "categorical feature",
    "datetime",
    "excluded",
)
FEATURE_ROLES = (NUMERIC, CATEGORICAL, AMOUNT)

# a string or integer column with more distinct values than this share of rows is an id
ID_UNIQUE_SHARE = 0.5
# a string column named like an id is one once it has this many distinct values
ID_NAMED_MIN_DISTINCT = 50
MAX_CATEGORIES = 1_000
_ID_NAME = re.compile(r"(?i)(^id$|_id$|^id_|uuid|guid|_key$)|[a-z]Id$")
# numbers that identify or code rather than measure: an IP stored as an integer, an `app`,
# `os` or `channel` code
_IP_NAME = re.compile(r"(?i)(^|_)ip(_?addr(ess)?|_?v4|_?num(ber)?)?($|_)")
_CODE_NAME = re.compile(
    r"(?i)(^|_)(app|os|channel|device|browser|carrier|platform|source|mcc|zip|zipcode|"
    r"postcode|country|region|city|code|type|status)$"
)
# counts, rates and durations are quantities whatever else their name says
_QUANTITY_NAME = re.compile(
    r"(?i)(^|_)(n|num|count|cnt|per|days|hours|minutes|secs|seconds|age|amount|amt|avg|mean|"
    r"sum|total|rate|ratio|share|pct|score|len|size)(_|$)|\d+[dhm]$"
)
# an unnamed integer column whose values are all distinct over this many rows is an id
ID_ALL_DISTINCT_MIN_ROWS = 1_000
_IP = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:]*$")


@dataclass(frozen=True)
class ColumnRole:
    column: str
    role: str
    why: str
    dtype: str

    @property
    def is_feature(self) -> bool:
        return self.role in FEATURE_ROLES

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def infer_roles(
    df: pl.DataFrame,
    label: str,
    time: str | None = None,
    ids: list[str] | None = None,
    amount: str | None = None,
    exclude: list[str] | None = None,
    features: list[str] | None = None,
    categorical: list[str] | None = None,
) -> list[ColumnRole]:
    """One role per column, in table order. Flags win over inference."""
    ids, exclude, features = ids or [], exclude or [], features or []
    categorical = categorical or []
    for flag, names in (
        ("--id", ids),
        ("--exclude", exclude),
        ("--feature", features),
        ("--categorical", categorical),
    ):
        check_named_columns(flag, names, df.columns)
    clash = set(features) & (set(ids) | set(exclude) | {label, time})
    if clash:
        raise UsageError(f"--feature conflicts with another role for: {', '.join(sorted(clash))}")
    clash = set(categorical) & (set(ids) | set(exclude) | {label, time, amount})
    if clash:
        raise UsageError(
            f"--categorical conflicts with another role for: {', '.join(sorted(clash))}"
        )
    return [
        ColumnRole(name, CATEGORICAL, "--categorical", str(dtype))
        if name in categorical
        else _role(df, name, dtype, label, time, ids, amount, exclude, features)
        for name, dtype in df.schema.items()
    ]


def _role(
    df: pl.DataFrame,
    name: str,
    dtype: pl.DataType,
    label: str,
    time: str | None,
    ids: list[str],
    amount: str | None,
    exclude: list[str],
    features: list[str],
) -> ColumnRole:
    def role(r: str, why: str) -> ColumnRole:
        return ColumnRole(name, r, why, str(dtype))

    if name == label:
        return role(LABEL, "--label")
    if name == time:
        return role(TIME, "--time")
    if name in ids:
        return role(ID, "--id")
    if name in exclude:
        return role(EXCLUDED, "--exclude")
    forced = name in features
    if name == amount:
        if not dtype.is_numeric():
            raise UsageError(f"--amount column '{name}' is {dtype}, not a number")
        return role(AMOUNT, "--amount; also a numeric feature")
    if dtype.is_temporal():
        return role(DATETIME, "not fed raw; available for derived features (age, hour, ...)")
    if not (
        dtype.is_numeric() or dtype == pl.Boolean or dtype in (pl.String, pl.Categorical, pl.Enum)
    ):
        return role(EXCLUDED, f"unsupported type {dtype}")
    column = df[name]
    distinct = column.n_unique()
    if distinct <= 1 and not forced:
        return role(EXCLUDED, "constant")
    if dtype == pl.Boolean:
        return role(NUMERIC, "boolean, as 0/1")
    share = distinct / max(df.height, 1)
    named_like_id = bool(_ID_NAME.search(name))
    if dtype.is_numeric() and not forced:
        coded = _numeric_code(column, name, distinct, df.height, named_like_id)
        if coded is not None:
            return role(*coded)
    if dtype.is_float():
        return role(NUMERIC, "--feature" if forced else "number")
    if not forced and not dtype.is_integer():
        text = _text_id(column, distinct, share, df.height, named_like_id)
        if text is not None:
            return role(*text)
    if dtype.is_integer():
        return role(NUMERIC, "--feature" if forced else "integer")
    return role(CATEGORICAL, "--feature" if forced else f"text, {distinct:,} categories")


def _text_id(
    column: pl.Series, distinct: int, share: float, rows: int, named_like_id: bool
) -> tuple[str, str] | None:
    """(role, why) for text that identifies (or has too many categories), else None."""
    sample = column.drop_nulls().cast(pl.String).head(50).to_list()
    if sample and all(_IP.match(v) for v in sample):
        return ID, "IP addresses"
    if share > ID_UNIQUE_SHARE:
        return ID, f"id-like: {distinct:,} distinct values in {rows:,} rows"
    if named_like_id and distinct >= ID_NAMED_MIN_DISTINCT:
        return ID, f"id-like: named like an id, {distinct:,} distinct values"
    if distinct > MAX_CATEGORIES:
        return (
            EXCLUDED,
            f"{distinct:,} categories (more than {MAX_CATEGORIES:,}); "
            "group them, or pass --feature to keep it",
        )
    return None


def _numeric_code(
    column: pl.Series, name: str, distinct: int, rows: int, named_like_id: bool
) -> tuple[str, str] | None:
    """(role, why) for a number that identifies or codes rather than measures, else None."""
    if _QUANTITY_NAME.search(name):
        return None
    if _IP_NAME.search(name):
        return ID, "named like an IP address: a number that identifies, not a quantity"
    values = column.drop_nulls()
    whole = values.dtype.is_integer() or bool((values == values.round(0)).all())
    if not whole:
        return None
    named_like_code = bool(_CODE_NAME.search(name))
    if named_like_id or named_like_code:
        kind = "an id" if named_like_id else "a code"
        if distinct / max(rows, 1) > ID_UNIQUE_SHARE or distinct > MAX_CATEGORIES:
            return ID, f"integers named like {kind}, {distinct:,} distinct values in {rows:,} rows"
        return (
            CATEGORICAL,
            f"integers named like {kind}, {distinct:,} codes: a category, not a quantity",
        )
    if distinct == rows >= ID_ALL_DISTINCT_MIN_ROWS:
        return ID, f"integers, every one of {rows:,} values distinct: an id"
    return None
