"""How a table becomes a detector's feature matrix.

The encoding is fully described by the manifest's feature list, so scoring needs nothing
but the detector directory: strings become codes into the stored category list (values never
seen in training become missing, and are counted), booleans become 0/1, numbers stay numbers,
missing stays missing.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from riskctl.data.roles import CATEGORICAL, ColumnRole
from riskctl.errors import DataError


@dataclass(frozen=True)
class ModelFeature:
    name: str
    kind: str  # "numeric" | "boolean" | "categorical"
    dtype: str
    categories: list[str] = field(default_factory=list)
    # the training median: reason texts say "high" or "low" against it
    median: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Encoded:
    values: np.ndarray  # rows x features, float32, NaN for missing
    unseen: dict[str, int]  # categorical feature -> values never seen in training


def features_from_roles(df: pl.DataFrame, roles: list[ColumnRole]) -> list[ModelFeature]:
    features = []
    for r in roles:
        if not r.is_feature:
            continue
        dtype = df.schema[r.column]
        if r.role == CATEGORICAL:
            values = df[r.column].cast(pl.String).drop_nulls().unique().sort()
            features.append(ModelFeature(r.column, "categorical", str(dtype), values.to_list()))
        else:
            kind = "boolean" if dtype == pl.Boolean else "numeric"
            median = None
            if kind == "numeric":
                value = df[r.column].cast(pl.Float64).median()
                median = float(value) if isinstance(value, int | float) else None
            features.append(ModelFeature(r.column, kind, str(dtype), median=median))
    if not features:
        raise DataError(
            "no usable feature columns", hint="check --exclude/--id, or name columns with --feature"
        )
    return features


def value_kind(dtype: pl.DataType | str) -> str:
    """What a column's values are, as a category reads them: text, integers, decimals,
    booleans, times or (for anything else) the type's name. Takes a dtype or its name (a
    manifest stores the name)."""
    name = str(dtype)
    for prefix, kind in (
        ("String", "text"),
        ("Utf8", "text"),
        ("Categorical", "text"),
        ("Enum", "text"),
        ("Int", "integers"),
        ("UInt", "integers"),
        ("Float", "decimals"),
        ("Decimal", "decimals"),
        ("Boolean", "booleans"),
        ("Date", "times"),
        ("Datetime", "times"),
    ):
        if name.startswith(prefix):
            return kind
    return name


def check_category_types(df: pl.DataFrame, features: list[ModelFeature]) -> None:
    """A categorical feature whose column arrives with another kind of values than in
    training (a CSV export read `03` back as the integer 3) is mapped only when every value,
    written as text, is exactly a trained category (whole decimals such as 3.0 count as the
    integer codes they are); otherwise refused. Never silently all unseen."""
    for f in features:
        if f.kind != "categorical" or f.name not in df.columns:
            continue
        trained, here = value_kind(f.dtype), value_kind(df.schema[f.name])
        if trained == here:
            continue
        column = df[f.name].drop_nulls()
        stray = pl.Series([], dtype=pl.String)
        if _whole_numbers(f, column.dtype):  # NaN is missing; whole and exact as integers
            column = column.fill_nan(None).drop_nulls()
            whole = (column == column.floor()) & (column.abs() < 2.0**53)
            stray = column.filter(~whole).cast(pl.String).unique()
        if not stray.len():
            values = column.to_frame().select(_as_text(f, column.dtype)).to_series().unique()
            stray = values.filter(~values.is_in(f.categories))
        hint = (
            f"give '{f.name}' as {trained}, as in training (e.g. a Parquet file; in a "
            "CSV, values such as 03 read as numbers)"
        )
        if stray.len():
            raise DataError(
                f"column '{f.name}' held {trained} when the detector was trained and holds "
                f"{here} here: {stray.len():,} of its values (e.g. {stray.sort()[0]!r}) are "
                "not trained categories when written as text, and would all score as unseen",
                hint=hint,
            )
        ambiguous = _ambiguous_category(f, df.schema[f.name])
        if ambiguous:
            raise DataError(
                f"column '{f.name}' held {trained} when the detector was trained and holds "
                f"{here} here: {ambiguous}, so the numbers cannot be mapped to the trained "
                "categories without loss",
                hint=hint,
            )


def _number(text: str, integers: bool) -> int | float | None:
    """The number a reader would make of a category's text (`03`, `+3`, ` 3`, `3.0`, `1e3`,
    `٣`), as an integer column or a decimal column holds it; None if it holds no such number."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not integers:
        return value
    with contextlib.suppress(ValueError):
        return int(text)  # exact, past 2**53 too
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _ambiguous_category(f: ModelFeature, dtype: pl.DataType) -> str | None:
    """Why the numbers of a numeric column cannot be mapped to a detector's text categories
    without loss, or None. A number maps to the one category that is its text exactly as
    `_as_text` writes it; a trained category that reads as a number written any other way
    (`03`, `+3`, `3.0`, `1e3`), or two categories that read as the same number, make that
    mapping lossy: `03` and `3` would both arrive as 3."""
    kind = value_kind(dtype)
    if value_kind(f.dtype) != "text" or kind not in ("integers", "decimals"):
        return None
    numbers: dict[str, list[str]] = {}  # a number's text -> the categories that read as it
    for category in f.categories:
        number = _number(category, kind == "integers")
        if isinstance(number, float):
            frame = pl.DataFrame({f.name: pl.Series([number], dtype=pl.Float64)})
            numbers.setdefault(frame.select(_as_text(f, pl.Float64())).item(), []).append(category)
        elif number is not None:
            numbers.setdefault(str(number), []).append(category)
    for canonical, categories in numbers.items():
        if len(categories) > 1:
            both = " and ".join(repr(c) for c in categories[:2])
            return f"the trained categories {both} both read as the number {canonical}"
    for canonical, (category,) in numbers.items():
        if category != canonical:
            return (
                f"the trained category {category!r} reads as the number {canonical}, "
                f"which is written {canonical!r}"
            )
    return None


def _whole_numbers(f: ModelFeature, dtype: pl.DataType) -> bool:
    """Decimals for a category trained on integers (a table that stored the integer codes
    as floats, e.g. with missing values): 3.0 is the code 3, exactly."""
    return value_kind(f.dtype) == "integers" and value_kind(dtype) == "decimals"


def _as_text(f: ModelFeature, dtype: pl.DataType) -> pl.Expr:
    """A categorical column as the text its categories are stored in."""
    col = pl.col(f.name)
    if _whole_numbers(f, dtype):  # whole numbers only: `check_category_types` saw to it
        col = col.fill_nan(None).cast(pl.Int64, strict=False)
    return col.cast(pl.String)


def _expr(f: ModelFeature, dtype: pl.DataType) -> pl.Expr:
    if f.kind == "categorical":
        codes = {c: i for i, c in enumerate(f.categories)}
        text = _as_text(f, dtype)
        return text.replace_strict(codes, default=None, return_dtype=pl.Float32)
    return pl.col(f.name).cast(pl.Float32, strict=True)


def encode(df: pl.DataFrame, features: list[ModelFeature]) -> Encoded:
    """The float32 matrix XGBoost reads, columns in manifest order."""
    missing = [f.name for f in features if f.name not in df.columns]
    if missing:
        raise DataError(
            "the data lacks the detector's feature columns: " + ", ".join(missing),
            hint="score a table with the columns the detector was trained on",
        )
    check_category_types(df, features)
    try:
        frame = df.select([_expr(f, df.schema[f.name]) for f in features])
    except pl.exceptions.PolarsError:
        raise _cast_error(df, features) from None
    unseen = {}
    for f in features:
        if f.kind == "categorical":
            n = int((frame[f.name].is_null() & df[f.name].is_not_null()).sum())
            if n:
                unseen[f.name] = n
    values = frame.to_numpy().astype(np.float32, copy=False)
    refuse_infinite(values, [f.name for f in features])
    return Encoded(values, unseen)


def refuse_infinite(matrix: np.ndarray, names: list[str]) -> None:
    """XGBoost refuses infinite inputs (a float beyond float32 is one too) with a C++
    traceback; here it is the column, how many rows and the first."""
    bad = np.isinf(matrix)
    columns = bad.any(axis=0)
    if columns.any():
        j = int(np.flatnonzero(columns)[0])
        raise DataError(
            f"column '{names[j]}' holds {int(bad[:, j].sum()):,} infinite values, which the "
            "model cannot read",
            hint="replace them with nulls (missing) or finite numbers",
        )


def feature_matrix(df: pl.DataFrame, features: list[ModelFeature]) -> np.ndarray:
    return encode(df, features).values


def _cast_error(df: pl.DataFrame, features: list[ModelFeature]) -> DataError:
    for f in features:
        try:
            df.select(_expr(f, df.schema[f.name]))
        except pl.exceptions.PolarsError:
            bad = df.select(
                pl.col(f.name)
                .filter(
                    pl.col(f.name).cast(pl.Float32, strict=False).is_null()
                    & pl.col(f.name).is_not_null()
                )
                .first()
            ).item()
            return DataError(
                f"column '{f.name}' is {df.schema[f.name]} and cannot be read as "
                f"the number the detector expects (e.g. {bad!r})",
                hint="clean or drop the non-numeric values",
            )
    return DataError("the data's columns cannot be converted to the detector's features")


XGBOOST_RESERVED = "[]<"  # characters XGBoost refuses in a feature name


def model_names(features: list[ModelFeature] | list[str]) -> list[str]:
    """The feature names the XGBoost model carries: the user's names, unless one of them
    holds a character XGBoost refuses (`[`, `]`, `<`); then every feature is named by its
    position (`f0`, `f1`...), as XGBoost names unnamed features. The manifest, importance,
    SHAP and reason codes always use the user's names (the manifest's order maps them)."""
    names = [f if isinstance(f, str) else f.name for f in features]
    if any(ch in name for name in names for ch in XGBOOST_RESERVED):
        return [f"f{i}" for i in range(len(names))]
    return names


def feature_types(features: list[ModelFeature]) -> list[str]:
    return ["c" if f.kind == "categorical" else "q" for f in features]
