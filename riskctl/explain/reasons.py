"""Reason codes: the few contributions that pushed a row's risk up, in words.

Contributions of the features a catalogue entry groups are summed before ranking (all the
device-sharing features are one reason). Only contributions that push risk up give reasons.
Features without an entry get a generated code (`M_<FEATURE>`) and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.explain.catalogue import (
    EMPTY,
    Catalogue,
    fill,
    format_value,
    infer_format,
    template_fields,
)
from riskctl.explain.contributions import Contributions
from riskctl.model.features import ModelFeature


@dataclass(frozen=True)
class ReasonSource:
    """One column of the grouped contributions: a catalogue entry, or a lone feature."""

    code: str
    features: list[str]
    template: str | None  # None: generated text for a lone feature


def model_reason_code(feature: str) -> str:
    """Stable code for an uncatalogued feature's reason."""
    return "M_" + feature.upper()


def reason_sources(
    features: list[ModelFeature], catalogue: Catalogue = EMPTY
) -> list[ReasonSource]:
    names = {f.name for f in features}
    sources = [
        ReasonSource(e.code, [f for f in e.features if f in names], e.text)
        for e in catalogue.entries
        if any(f in names for f in e.features)
    ]
    covered = {f for s in sources for f in s.features}
    sources += [
        ReasonSource(model_reason_code(f.name), [f.name], None)
        for f in features
        if f.name not in covered
    ]
    return sources


def generated_text(feature: ModelFeature, value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{feature.name} is missing"
    if feature.kind == "boolean":
        return f"{feature.name}: {'yes' if value else 'no'}"
    if feature.kind == "categorical":
        return f"{feature.name} is {value}"
    shown = format_value(value, infer_format(feature.name, value))
    if feature.median is None or value == feature.median:
        return f"{feature.name} = {shown}"
    side = "High" if value > feature.median else "Low"
    return f"{side} value of {feature.name} ({shown})"


def model_reasons(
    contrib: Contributions,
    df: pl.DataFrame,
    features: list[ModelFeature],
    catalogue: Catalogue = EMPTY,
    k: int = 3,
) -> tuple[list[list[str]], list[list[str]]]:
    """Per row, up to `k` (codes, texts), largest grouped positive contribution first."""
    sources = reason_sources(features, catalogue)
    index = {name: i for i, name in enumerate(contrib.features)}
    membership = np.zeros((len(contrib.features), len(sources)), dtype=np.float64)
    for s, source in enumerate(sources):
        for name in source.features:
            membership[index[name], s] = 1.0
    grouped = contrib.values.astype(np.float64) @ membership
    k = min(k, len(sources))
    order = np.argsort(-grouped, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(grouped, order, axis=1)
    n = df.height
    codes = np.full((n, k), None, dtype=object)
    texts = np.full((n, k), None, dtype=object)
    by_name = {f.name: f for f in features}
    for s, source in enumerate(sources):
        rows, ranks = np.nonzero((order == s) & (top > 0))
        if len(rows) == 0:
            continue
        fields = list(source.features)
        if source.template is not None:
            fields += [
                f
                for f, _ in template_fields(source.template)
                if f not in fields and f in df.columns
            ]
        values = df.select(fields)[rows.tolist()].to_dicts()
        for r, j, row in zip(rows, ranks, values, strict=True):
            codes[r, j] = source.code
            texts[r, j] = (
                fill(source.template, row)
                if source.template is not None
                else generated_text(by_name[source.features[0]], row[source.features[0]])
            )
    code_lists = [[c for c in row if c is not None] for row in codes.tolist()]
    text_lists = [[t for t in row if t is not None] for row in texts.tolist()]
    return code_lists, text_lists
