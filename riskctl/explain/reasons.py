"""Reason codes: the few contributions that pushed a row's risk up, in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.explain.contributions import Contributions


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


def model_reason_code(feature: str) -> str:
    """Stable code for a model reason: the feature name, upper-cased, prefixed with M."""
    return "M_" + feature.upper()


def _describe(feature: str, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"{feature} is missing"
    if isinstance(value, bool):
        return f"{feature} is {'true' if value else 'false'}"
    if isinstance(value, float):
        return f"{feature} = {value:,.2f}"
    if isinstance(value, int):
        return f"{feature} = {value:,}"
    return f"{feature} is {value}"


def top_reasons(contrib: Contributions, df: pl.DataFrame, k: int = 3) -> list[list[Reason]]:
    """For each row, up to `k` reasons from the largest positive contributions."""
    order = np.argsort(-contrib.values, axis=1, kind="stable")[:, :k]
    top_values = np.take_along_axis(contrib.values, order, axis=1)
    columns = {name: df[name].to_list() for name in contrib.features}
    out: list[list[Reason]] = []
    for row, (idx, vals) in enumerate(zip(order, top_values, strict=True)):
        reasons = []
        for i, v in zip(idx, vals, strict=True):
            if v <= 0:
                break  # only contributions that push risk up explain a flag
            name = contrib.features[i]
            reasons.append(Reason(model_reason_code(name), _describe(name, columns[name][row])))
        out.append(reasons)
    return out


def explain_frame(contrib: Contributions, df: pl.DataFrame, k: int = 3) -> pl.DataFrame:
    """Contributions, margin and the top-k reasons (codes and texts) as one table."""
    reasons = top_reasons(contrib, df, k)
    return contrib.to_frame().with_columns(
        pl.Series("reason_codes", [[r.code for r in rs] for rs in reasons],
                  dtype=pl.List(pl.String)),
        pl.Series("reason_texts", [[r.text for r in rs] for rs in reasons],
                  dtype=pl.List(pl.String)),
    )
