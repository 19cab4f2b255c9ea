"""An XGBoost model's JSON (`Booster.save_raw("json")`) as the flat arrays the fast TreeSHAP
kernels walk: nodes parents first, each path's distinct features with their zero fractions.

Decisions follow XGBoost's predictor: a missing value takes the default child; a numeric
split sends `x < threshold` left; a categorical split sends the categories in its set right
and everything else (negative, too large, not in the set) left.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

# the objectives whose base_score is a probability (margin = logit) or a raw value
LOGIT_OBJECTIVES = {"binary:logistic", "reg:logistic"}
IDENTITY_OBJECTIVES = {"reg:squarederror", "reg:pseudohubererror", "reg:absoluteerror"}


class UnsupportedModel(ValueError):
    """A model the fast engine does not cover (XGBoost's own TreeSHAP still does)."""


@dataclass(frozen=True)
class ModelArrays:
    """Trees' nodes numbered parents first (breadth-first), tree after tree."""

    n_features: int
    base_margin: float
    tree_means: np.ndarray  # per tree, its expected value under the covers
    tree_node: np.ndarray  # node offsets per tree (n_trees + 1)
    node_feature: np.ndarray
    node_threshold: np.ndarray
    node_default_left: np.ndarray
    node_cat: np.ndarray  # (start word in cat_bits, words); words 0 for a numeric split
    node_children: np.ndarray  # (left, right); a leaf: (-1, leaf index)
    node_slot: np.ndarray  # bit of the node's feature among its path's distinct features
    cat_bits: np.ndarray
    leaf_value: np.ndarray
    leaf_u: np.ndarray  # start of the leaf's distinct features in u_feature / u_z
    leaf_depth: np.ndarray  # number of distinct features on the leaf's path
    leaf_table: np.ndarray  # start of the leaf's 2^depth table (n_leaves + 1 offsets)
    u_feature: np.ndarray
    u_z: np.ndarray


class _Builder:
    def __init__(self) -> None:
        self.node: dict[str, list[Any]] = {
            k: [] for k in ("feature", "threshold", "default_left", "cat", "children", "slot")
        }
        self.cat_bits: list[int] = []
        self.leaf: dict[str, list[Any]] = {k: [] for k in ("value", "u", "depth", "table")}
        self.u_feature: list[int] = []
        self.u_z: list[float] = []
        self.table = 0
        self.tree_node = [0]
        self.tree_means: list[float] = []

    def add_node(self, feature: int, threshold: float, default_left: bool, slot: int) -> int:
        n = len(self.node["feature"])
        for key, value in (
            ("feature", feature),
            ("threshold", threshold),
            ("default_left", default_left),
            ("cat", (0, 0)),
            ("children", (-1, -1)),
            ("slot", slot),
        ):
            self.node[key].append(value)
        return n

    def add_leaf(self, value: float, features: list[int], z: list[float]) -> int:
        leaf = len(self.leaf["value"])
        self.leaf["value"].append(value)
        self.leaf["u"].append(len(self.u_feature))
        self.leaf["depth"].append(len(features))
        self.leaf["table"].append(self.table)
        self.table += 1 << len(features)
        self.u_feature.extend(features)
        self.u_z.extend(z)
        return leaf

    def set_categories(self, n: int, categories: list[int]) -> None:
        words = max(categories) // 64 + 1 if categories else 1
        bits = [0] * words
        for c in categories:
            bits[c // 64] |= 1 << (c % 64)
        self.node["cat"][n] = (len(self.cat_bits), words)
        self.cat_bits.extend(bits)

    def arrays(self, n_features: int, base_margin: float) -> ModelArrays:
        node, leaf = self.node, self.leaf
        return ModelArrays(
            n_features=n_features,
            base_margin=base_margin,
            tree_means=np.asarray(self.tree_means, dtype=np.float64),
            tree_node=np.asarray(self.tree_node, dtype=np.int64),
            node_feature=np.asarray(node["feature"], dtype=np.int64),
            node_threshold=np.asarray(node["threshold"], dtype=np.float32),
            node_default_left=np.asarray(node["default_left"], dtype=np.bool_),
            node_cat=np.asarray(node["cat"], dtype=np.int64).reshape(-1, 2),
            node_children=np.asarray(node["children"], dtype=np.int64).reshape(-1, 2),
            node_slot=np.asarray(node["slot"], dtype=np.int64),
            cat_bits=np.asarray(self.cat_bits or [0], dtype=np.uint64),
            leaf_value=np.asarray(leaf["value"], dtype=np.float64),
            leaf_u=np.asarray(leaf["u"], dtype=np.int64),
            leaf_depth=np.asarray(leaf["depth"], dtype=np.int64),
            leaf_table=np.asarray([*leaf["table"], self.table], dtype=np.int64),
            u_feature=np.asarray(self.u_feature, dtype=np.int64),
            u_z=np.asarray(self.u_z, dtype=np.float64),
        )


def _tree_categories(tree: dict[str, Any]) -> dict[int, list[int]]:
    cats = tree.get("categories", [])
    return {
        int(node): [int(c) for c in cats[start : start + size]]
        for node, start, size in zip(
            tree.get("categories_nodes", []),
            tree.get("categories_segments", []),
            tree.get("categories_sizes", []),
            strict=True,
        )
    }


def _add_tree(b: _Builder, tree: dict[str, Any]) -> None:
    """Nodes in breadth-first order (parents first); per path, the distinct features in
    order of first appearance and the product of their cover fractions."""
    left, right = tree["left_children"], tree["right_children"]
    feature, cond = tree["split_indices"], tree["split_conditions"]
    default_left, cover = tree["default_left"], tree["sum_hessian"]
    split_type = tree.get("split_type") or [0] * len(left)
    categories = _tree_categories(tree)
    mean = 0.0
    # (xgboost node, parent's new index, is left child, path features, path zero fractions)
    queue: deque[tuple[int, int, bool, list[int], list[float], float]] = deque(
        [(0, -1, False, [], [], 1.0)]
    )
    while queue:
        old, parent, is_left, feats, zs, reach = queue.popleft()
        if left[old] == -1:
            leaf = b.add_leaf(float(cond[old]), feats, zs)
            new = b.add_node(0, 0.0, False, 0)
            b.node["children"][new] = (-1, leaf)
            mean += reach * float(cond[old])
        else:
            f = int(feature[old])
            slot = feats.index(f) if f in feats else len(feats)
            if slot >= 63:
                raise UnsupportedModel("a path splits on more than 62 distinct features")
            new = b.add_node(f, float(cond[old]), bool(default_left[old]), slot)
            if int(split_type[old]) == 1:
                b.set_categories(new, categories.get(old, []))
            for child in (left[old], right[old]):
                z = float(cover[child]) / float(cover[old]) if cover[old] > 0 else 0.0
                f_feats, f_zs = list(feats), list(zs)
                if slot == len(feats):
                    f_feats.append(f)
                    f_zs.append(z)
                else:
                    f_zs[slot] *= z
                queue.append((child, new, child == left[old], f_feats, f_zs, reach * z))
        if parent >= 0:
            pair = b.node["children"][parent]
            b.node["children"][parent] = (new, pair[1]) if is_left else (pair[0], new)
    b.tree_node.append(len(b.node["feature"]))
    b.tree_means.append(mean)


def _base_margin(learner: dict[str, Any]) -> float:
    objective = learner["objective"]["name"]
    raw = str(learner["learner_model_param"]["base_score"]).strip("[]")
    if "," in raw:
        raise UnsupportedModel("a model with several base scores")
    base = float(raw)
    if objective in LOGIT_OBJECTIVES:
        return math.log(base / (1.0 - base))
    if objective in IDENTITY_OBJECTIVES:
        return base
    raise UnsupportedModel(f"objective {objective}")


def model_arrays(model: dict[str, Any]) -> ModelArrays:
    learner = model["learner"]
    booster = learner["gradient_booster"]
    if booster.get("name") != "gbtree":
        raise UnsupportedModel(f"booster {booster.get('name')} (only gbtree)")
    params = learner["learner_model_param"]
    if int(params.get("num_class", "0")) > 1 or int(params.get("num_target", "1")) > 1:
        raise UnsupportedModel("a model with several outputs")
    trees = booster["model"]["trees"]
    if any(int(t["tree_param"].get("size_leaf_vector", "1")) > 1 for t in trees):
        raise UnsupportedModel("vector leaves")
    if booster["model"].get("cats", {}).get("enc"):
        raise UnsupportedModel("a model that re-codes categories itself")
    b = _Builder()
    for tree in trees:
        _add_tree(b, tree)
    return b.arrays(int(params["num_feature"]), _base_margin(learner))
