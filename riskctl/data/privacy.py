"""Masking entity ids in outputs meant for sharing.

A keyed hash (HMAC-SHA256): the same id gets the same mask within a run, so rows of one buyer
still group together, but without the key nobody can test a guessed id against the mask.
The key is random per run unless the caller passes one.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import polars as pl


def new_key() -> bytes:
    return os.urandom(32)


def mask_value(value: str, key: bytes) -> str:
    return "m_" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def mask_ids(df: pl.DataFrame, columns: list[str], key: bytes) -> pl.DataFrame:
    """`df` with each of `columns` replaced by its keyed hash (nulls stay null)."""
    masked = []
    for column in columns:
        values = df[column].cast(pl.String)
        uniques = values.drop_nulls().unique().to_list()
        mapping = {v: mask_value(v, key) for v in uniques}
        masked.append(
            values.replace_strict(mapping, default=None, return_dtype=pl.String).alias(column)
        )
    return df.with_columns(masked) if masked else df
