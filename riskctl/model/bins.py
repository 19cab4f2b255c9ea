"""Reference bins for drift monitoring (PSI), stored in a detector's manifest at training time.

Numeric columns: the reference's deciles with distinct edges ``e_1 < ... < e_k``; bin 0 holds
values ``<= e_1``, bin ``i`` values in ``(e_i, e_{i+1}]`` and the last bin values ``> e_k``.
Categorical and boolean columns: one bin per category seen in the reference (sorted), then one
for categories never seen there. Missing values (null, and NaN in floats) always get their own
last bin. The same bins give the same PSI run to run, whatever the current data look like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from riskctl.model.features import ModelFeature

NUMERIC, CATEGORICAL = "numeric", "categorical"
MISSING, UNSEEN = "(missing)", "(unseen)"
DECILES = np.arange(1, 10) / 10


@dataclass(frozen=True)
class Bins:
    column: str
    kind: str  # NUMERIC | CATEGORICAL
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()  # the reference's rows per bin, when stored

    @property
    def size(self) -> int:
        """Number of bins, the missing bin included."""
        if self.kind == NUMERIC:
            return len(self.edges) + 2
        return len(self.categories) + 2

    def labels(self) -> list[str]:
        if self.kind == CATEGORICAL:
            return [*self.categories, UNSEEN, MISSING]
        e = [f"{x:.4g}" for x in self.edges]
        if not e:
            return ["all values", MISSING]
        inner = [f"({a}, {b}]" for a, b in zip(e, e[1:], strict=False)]
        return [f"<= {e[0]}", *inner, f"> {e[-1]}", MISSING]

    def count(self, values: pl.Series) -> np.ndarray:
        """Rows of `values` per bin."""
        out = np.zeros(self.size, dtype=np.int64)
        if self.kind == NUMERIC:
            v = _floats(values)
            missing = np.isnan(v)
            idx = np.searchsorted(np.asarray(self.edges, dtype=np.float64), v[~missing], "left")
            out[: len(self.edges) + 1] = np.bincount(idx, minlength=len(self.edges) + 1)
            out[-1] = int(missing.sum())
            return out
        text = values.cast(pl.String)
        index = {c: i for i, c in enumerate(self.categories)}
        for value, n in text.value_counts().iter_rows():
            slot = self.size - 1 if value is None else index.get(value, self.size - 2)
            out[slot] += n
        return out

    def unseen_values(self, values: pl.Series, top: int = 5) -> list[tuple[str, int]]:
        """The most frequent values never seen in the reference (categorical bins only)."""
        if self.kind != CATEGORICAL:
            return []
        text = values.cast(pl.String).drop_nulls()
        counts = text.filter(~text.is_in(list(self.categories))).value_counts(sort=True)
        rows = counts.head(top).iter_rows()
        return sorted(((str(v), int(n)) for v, n in rows), key=lambda r: (-r[1], r[0]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "counts": list(self.counts)}
        if self.kind == NUMERIC:
            out["edges"] = list(self.edges)
        else:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, column: str, d: dict[str, Any]) -> Bins:
        return cls(
            column,
            str(d["kind"]),
            tuple(float(x) for x in d.get("edges", [])),
            tuple(str(x) for x in d.get("categories", [])),
            tuple(int(x) for x in d.get("counts", [])),
        )


def kind_of(dtype: pl.DataType) -> str | None:
    """NUMERIC, CATEGORICAL, or None for columns PSI does not cover (dates, lists...)."""
    if dtype == pl.Boolean or dtype in (pl.String, pl.Categorical, pl.Enum):
        return CATEGORICAL
    if dtype.is_numeric():
        return NUMERIC
    return None


def _floats(values: pl.Series) -> np.ndarray:
    v = values.cast(pl.Float64)
    return v.fill_nan(None).to_numpy().astype(np.float64, copy=False)


def reference_bins(values: pl.Series, kind: str | None = None) -> Bins:
    """Bins from a reference column, with the reference's own counts."""
    kind = kind or kind_of(values.dtype) or NUMERIC
    if kind == NUMERIC:
        v = _floats(values)
        v = v[~np.isnan(v)]
        edges = tuple(float(x) for x in np.unique(np.quantile(v, DECILES))) if v.size else ()
        bins = Bins(values.name, NUMERIC, edges=edges)
    else:
        cats = values.cast(pl.String).drop_nulls().unique().sort().to_list()
        bins = Bins(values.name, CATEGORICAL, categories=tuple(cats))
    return Bins(
        bins.column,
        bins.kind,
        bins.edges,
        bins.categories,
        tuple(int(c) for c in bins.count(values)),
    )


def training_bins(df: pl.DataFrame, features: list[ModelFeature]) -> dict[str, dict[str, Any]]:
    """Feature -> stored bins (kind, edges or categories, training counts) for a manifest."""
    return {
        f.name: reference_bins(
            df[f.name], NUMERIC if f.kind == "numeric" else CATEGORICAL
        ).to_dict()
        for f in features
    }
