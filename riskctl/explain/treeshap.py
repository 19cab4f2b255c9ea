"""Fast exact TreeSHAP for XGBoost tree models: the values of XGBoost's `pred_contribs`.

Path-dependent TreeSHAP splits a tree into its root-to-leaf paths. On the path to leaf l
(value v) each distinct feature j has a zero fraction z_j (the product of cover(child) /
cover(parent) over the path's splits on j) and a one fraction o_j, 1 when the row takes the
path's side at every split on j, else 0 (a numeric split, a categorical set or the missing
direction: only which child the row takes matters). With H the row's hot features (o_j = 1)
and F(M) = sum_{S subset M} w(|S|, d) prod_{j in M \\ S} z_j, w(k, d) = k! (d-1-k)! / d!,
the path adds

    v (1 - z_i) P(H) F(H \\ {i})   to a hot feature i,   -v P(H) F(H)   to a cold one,

where P(H) is the product of the cold features' zero fractions. F depends on the path only,
so it is tabled once per model for every subset of the path's features (2^d numbers per
leaf, the precomputation of Fast TreeSHAP v2). A row then costs one pass over the tree's
nodes (which side it takes; the hot set is carried from parent to child) and O(d) work per
leaf, instead of the O(d^2) extend/unwind steps per node of the original algorithm. Rows
are split over threads; memory is the tables plus the output batch.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from riskctl.explain.parse_trees import ModelArrays, UnsupportedModel, model_arrays
from riskctl.runtime import free_threads

# tables beyond this many numbers (8 bytes each) fall back to XGBoost's own TreeSHAP
MAX_TABLE = 1 << 25
BLOCK_ROWS = 256

__all__ = ["FastTreeShap", "UnsupportedModel", "fast_explainer"]

_CACHE: weakref.WeakKeyDictionary[Any, FastTreeShap] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class FastTreeShap:
    arrays: ModelArrays
    tables: np.ndarray
    ratios: np.ndarray  # per path feature, (1 - z) / z
    bias: float
    rounds: int  # the booster's rounds when built: more rounds, a new engine

    @property
    def n_features(self) -> int:
        return self.arrays.n_features

    def shap_values(self, X: np.ndarray, threads: int | None = None) -> np.ndarray:
        """rows x features SHAP values (float64) for a float32 matrix, NaN for missing."""
        from riskctl.explain import _kernels

        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows x {self.n_features} features, got {X.shape}")
        out = np.zeros((self.n_features, X.shape[0]), dtype=np.float64)
        a = self.arrays
        args = (
            a.tree_node,
            a.node_feature,
            a.node_threshold,
            a.node_default_left,
            a.node_cat,
            a.node_children,
            a.node_slot,
            a.cat_bits,
            a.leaf_u,
            a.leaf_depth,
            a.leaf_table,
            a.u_feature,
            self.ratios,
            self.tables,
        )

        def run(start: int) -> None:
            stop = min(start + BLOCK_ROWS, X.shape[0])
            _kernels.shap_block(X[start:stop], out[:, start:stop], *args)

        if a.tree_node.size < 2:  # a model without trees explains nothing
            return out.T
        starts = range(0, X.shape[0], BLOCK_ROWS)
        n_threads = max(1, min(threads or free_threads(), len(starts)))
        if n_threads == 1:
            for start in starts:
                run(start)
        else:
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(run, starts))
        return out.T


def fast_explainer(booster: Any) -> FastTreeShap:
    """The engine for an XGBoost booster, built once per booster object and kept while it
    lives. Raises UnsupportedModel for models it does not cover (then use pred_contribs)."""
    rounds = booster.num_boosted_rounds()
    try:
        cached = _CACHE[booster]
        if cached.rounds == rounds:
            return cached
    except (KeyError, TypeError):
        pass
    try:
        from riskctl.explain import _kernels
    except RuntimeError as exc:  # numba found no writable cache directory
        raise UnsupportedModel(f"the compiled kernels cannot load ({exc})") from exc

    model = json.loads(bytes(booster.save_raw(raw_format="json")))
    arrays = model_arrays(model)
    size = int(arrays.leaf_table[-1]) if arrays.leaf_table.size else 0
    if size > MAX_TABLE:
        raise UnsupportedModel(f"paths with too many distinct features ({size:,} table entries)")
    tables = np.zeros(size + 1, dtype=np.float64)
    _kernels.leaf_tables(
        arrays.leaf_u, arrays.leaf_depth, arrays.u_z, arrays.leaf_value, arrays.leaf_table, tables
    )
    if np.any(arrays.u_z <= 0.0):
        raise UnsupportedModel("a split with an empty child (zero cover)")
    ratios = (1.0 - arrays.u_z) / arrays.u_z
    bias = arrays.base_margin + float(arrays.tree_means.sum())
    engine = FastTreeShap(arrays, tables, ratios, bias, rounds)
    with contextlib.suppress(TypeError):  # no weak references: rebuilt on every call
        _CACHE[booster] = engine
    return engine
