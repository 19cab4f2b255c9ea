"""Which columns feed a detector, and how a table becomes its feature matrix.

The encoding is fully described by the manifest's feature list, so scoring needs nothing
but the detector directory: strings become category codes from the stored category list
(values never seen in training become missing), booleans become 0/1, numbers stay numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from riskctl.errors import DataError

# a string column with more distinct values than this share of rows is an entity id
ID_UNIQUE_SHARE = 0.5
MAX_CATEGORIES = 256


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # "numeric" | "boolean" | "categorical"
    dtype: str
    categories: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ColumnRole:
    column: str
    role: str  # label, time, feature, excluded
    why: str


def infer_features(df: pl.DataFrame, label: str, time: str | None,
                   exclude: list[str]) -> tuple[list[Feature], list[ColumnRole]]:
    """Pick feature columns and say what every column became, and why."""
    roles: list[ColumnRole] = []
    features: list[Feature] = []
    rows = max(df.height, 1)
    for name, dtype in df.schema.items():
        if name == label:
            roles.append(ColumnRole(name, "label", "--label"))
        elif name == time:
            roles.append(ColumnRole(name, "time", "--time"))
        elif name in exclude:
            roles.append(ColumnRole(name, "excluded", "--exclude"))
        elif dtype == pl.Boolean:
            features.append(Feature(name, "boolean", str(dtype)))
        elif dtype.is_numeric():
            if df[name].n_unique() <= 1:
                roles.append(ColumnRole(name, "excluded", "constant"))
                continue
            features.append(Feature(name, "numeric", str(dtype)))
        elif dtype in (pl.String, pl.Categorical, pl.Enum):
            values = df[name].cast(pl.String)
            distinct = values.n_unique()
            if distinct > ID_UNIQUE_SHARE * rows or distinct > MAX_CATEGORIES:
                roles.append(ColumnRole(name, "excluded", f"id-like ({distinct:,} distinct)"))
                continue
            if distinct <= 1:
                roles.append(ColumnRole(name, "excluded", "constant"))
                continue
            cats = sorted(v for v in values.unique().to_list() if v is not None)
            features.append(Feature(name, "categorical", "String", cats))
        elif dtype.is_temporal():
            roles.append(ColumnRole(name, "excluded", "datetime (derive features from it)"))
        else:
            roles.append(ColumnRole(name, "excluded", f"unsupported type {dtype}"))
    roles.extend(ColumnRole(f.name, "feature", f.kind) for f in features)
    if not features:
        raise DataError("no usable feature columns", hint="check --exclude and the column types")
    return features, roles


def feature_matrix(lf: pl.LazyFrame | pl.DataFrame, features: list[Feature]) -> np.ndarray:
    """The float32 matrix XGBoost reads, columns in manifest order, missing as NaN."""
    schema = lf.collect_schema() if isinstance(lf, pl.LazyFrame) else lf.schema
    missing = [f.name for f in features if f.name not in schema]
    if missing:
        raise DataError("the data lacks the detector's feature columns: " + ", ".join(missing),
                        hint="score a table with the same columns the detector was trained on")
    exprs = []
    for f in features:
        col = pl.col(f.name)
        if f.kind == "categorical":
            codes = {c: i for i, c in enumerate(f.categories)}
            exprs.append(col.cast(pl.String).replace_strict(codes, default=None,
                                                            return_dtype=pl.Float32))
        else:
            exprs.append(col.cast(pl.Float32, strict=False))
    frame = lf.lazy().select(exprs).collect()
    return frame.to_numpy().astype(np.float32, copy=False)


def feature_types(features: list[Feature]) -> list[str]:
    return ["c" if f.kind == "categorical" else "q" for f in features]
