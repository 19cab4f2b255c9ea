"""Which columns may appear in a suggested rule.

Never: ids (a detector's `ids`, `*_id` columns, text with a distinct value on more than a
tenth of the rows),
the label, the time column, production's history columns, the attack column, times, and
anything --exclude names. A column that alone separates bad from good almost perfectly is
refused with the same leakage warning `riskctl train` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import polars as pl

from riskctl.errors import UsageError, name_list
from riskctl.model import diagnose

# text with more distinct values than this share of rows is an id: an IP, an email or a
# device fingerprint has far more (a list of them is a blocklist that expires, not a rule);
# a country, a category or an email domain far fewer
ID_SHARE = 0.1


@dataclass(frozen=True)
class Material:
    columns: list[str]
    warnings: list[str]


def rule_columns(
    schema: pl.Schema,
    never: list[str],
    ids: list[str],
    wanted: list[str] | None,
    exclude: list[str],
) -> list[str]:
    """Columns of `schema` that may hold rule material by name and kind (before the checks
    on their values: `not_ids`, `without_leaks`)."""
    names = list(schema.names())
    unknown = [c for c in [*(wanted or []), *exclude] if c not in names]
    if unknown:
        raise UsageError(
            f"no column '{unknown[0]}' in the data", hint="columns are: " + name_list(names)
        )
    refused = set(never) | set(ids) | set(exclude)
    out = []
    for name in wanted or names:
        dtype = schema[name]
        if name in refused or dtype.is_temporal() or dtype.is_nested():
            continue
        if name in ids or name.lower() == "id" or name.lower().endswith("_id"):
            continue
        if dtype.is_numeric() or dtype in (pl.Boolean, pl.String, pl.Categorical):
            out.append(name)
    if not out:
        _none_left()
    return out


def not_ids(sample: pl.DataFrame, columns: list[str]) -> list[str]:
    """`columns` less the text ones with a distinct value on more than ID_SHARE of the
    `sample`'s rows."""
    out = [c for c in columns if not (sample.schema[c] == pl.String and _id_like(sample[c]))]
    if not out:
        _none_left()
    return out


def _none_left() -> NoReturn:
    raise UsageError(
        "no column is left to write rules on: every column is an id, the label, the time, "
        "a history column or excluded",
        hint="add feature columns to the data, or name them with --columns",
    )


def _id_like(column: pl.Series) -> bool:
    n = column.len() - column.null_count()
    return n > 20 and column.n_unique() > ID_SHARE * n


def without_leaks(
    table: pl.DataFrame, columns: list[str], label: np.ndarray, exempt: list[str]
) -> Material:
    """`columns` less those that alone separate the labels (one-feature ROC AUC above
    train's limit), each named in a warning. `label`: 1, 0, or -1 (no usable label) per
    row of `table`, in time order. `exempt`: the strategy's own score columns."""
    usable = label >= 0
    y = label[usable].astype(np.float64)
    if y.min(initial=1) == y.max(initial=0):
        return Material(columns, [])
    checked = [c for c in columns if c not in exempt]
    aucs = [_auc(table[c].filter(pl.Series(usable)), y) for c in checked]
    findings = diagnose.leakage(checked, aucs)
    leaked = {c for c, auc in zip(checked, aucs, strict=True) if auc > diagnose.LEAKAGE_AUC}
    warnings = [f.message.replace("--exclude it if so", "left out of the rules") for f in findings]
    return Material([c for c in columns if c not in leaked], warnings)


def _auc(values: pl.Series, y: np.ndarray) -> float:
    """One-feature ROC AUC: numbers by value; text by each value's bad rate on the first
    half of the rows, ranked on the second half (no memorising of rare values)."""
    if values.dtype.is_numeric() or values.dtype == pl.Boolean:
        return diagnose.one_feature_auc(values.cast(pl.Float64).to_numpy(), y)
    codes = values.cast(pl.String).fill_null("\x00null").rank("dense").to_numpy().astype(np.int64)
    half = len(y) // 2
    if half == 0 or y[half:].min(initial=1) == y[half:].max(initial=0):
        return float("nan")
    n = int(codes.max()) + 1
    bad = np.bincount(codes[:half], weights=y[:half], minlength=n)
    seen = np.bincount(codes[:half], minlength=n)
    rate = np.where(seen > 0, bad / np.maximum(seen, 1), y[:half].mean())
    return diagnose.one_feature_auc(rate[codes[half:]], y[half:])
