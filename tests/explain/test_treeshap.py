"""The fast TreeSHAP engine against its oracle, XGBoost's own `pred_contribs`, on random
models: numeric and native categorical splits (one-hot and partition), missing values,
depths 4 to 8, base scores, several trees, early stopping."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskctl.errors import UsageError
from riskctl.explain.contributions import contributions, fast_engine
from riskctl.explain.parse_trees import UnsupportedModel
from riskctl.explain.treeshap import fast_explainer

TOL = 1e-4


def random_data(seed: int, rows: int, n_num: int, n_cat: int, missing: float):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(rows, n_num)).astype(np.float32)
    cats = rng.integers(0, rng.integers(2, 70, size=n_cat), size=(rows, n_cat)).astype(np.float32)
    X = np.concatenate([num, cats], axis=1)
    X[rng.random(X.shape) < missing] = np.nan
    signal = np.nan_to_num(num[:, 0]) + 0.7 * np.nan_to_num(num[:, -1] * num[:, 0])
    if n_cat:
        signal += np.where(np.nan_to_num(cats[:, 0]) % 3 == 0, 1.2, -0.4)
    y = (signal + rng.normal(scale=0.8, size=rows) > 0.3).astype(np.float32)
    types = ["q"] * n_num + ["c"] * n_cat
    return X, y, types


def assert_matches_pred_contribs(booster: xgb.Booster, X: np.ndarray, types: list[str]) -> None:
    dm = xgb.DMatrix(X, feature_types=types, enable_categorical=True)
    oracle = booster.predict(dm, pred_contribs=True)
    engine = fast_explainer(booster)
    ours = engine.shap_values(X)
    n = X.shape[1]
    np.testing.assert_allclose(ours, oracle[:, :n], atol=TOL, rtol=0)
    np.testing.assert_allclose(engine.bias, oracle[:, n], atol=TOL, rtol=0)
    margin = booster.predict(dm, output_margin=True)
    np.testing.assert_allclose(ours.sum(axis=1) + engine.bias, margin, atol=TOL, rtol=0)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(4, 8),
    n_num=st.integers(1, 6),
    n_cat=st.integers(0, 3),
    missing=st.sampled_from([0.0, 0.05, 0.3]),
    onehot=st.sampled_from([1, 4, 64]),
    base_score=st.sampled_from([None, 0.02, 0.5, 0.9]),
    rounds=st.integers(1, 25),
)
def test_random_models_match_pred_contribs(
    seed, depth, n_num, n_cat, missing, onehot, base_score, rounds
) -> None:
    X, y, types = random_data(seed, 1_500, n_num, n_cat, missing)
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": depth,
        "max_cat_to_onehot": onehot,
        "eta": 0.3,
        "min_child_weight": 0.5,
        "seed": seed,
        "nthread": 1,
    }
    if base_score is not None:
        params["base_score"] = base_score
    dm = xgb.DMatrix(X, y, feature_types=types, enable_categorical=True)
    booster = xgb.train(params, dm, rounds)
    # rows the model never saw: unseen and negative categories, other missing patterns
    X_new, _, _ = random_data(seed + 1, 400, n_num, n_cat, missing)
    if n_cat:
        X_new[:7, n_num] = [-1, 500, 2.5, 1e9, np.nan, 0, 63]
    assert_matches_pred_contribs(booster, X_new, types)


def test_regression_objective_and_many_trees() -> None:
    X, y, types = random_data(3, 2_000, 5, 2, 0.1)
    target = y + np.nan_to_num(X[:, 1])
    dm = xgb.DMatrix(X, target, feature_types=types, enable_categorical=True)
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 6, "base_score": 0.3, "nthread": 1},
        dm,
        80,
    )
    assert_matches_pred_contribs(booster, X[:500], types)
    assert (fast_explainer(booster).arrays.node_cat[:, 1] > 0).any()  # categorical splits


def test_early_stopped_model_slice() -> None:
    X, y, types = random_data(5, 3_000, 4, 2, 0.05)
    train = xgb.DMatrix(X[:2000], y[:2000], feature_types=types, enable_categorical=True)
    valid = xgb.DMatrix(X[2000:], y[2000:], feature_types=types, enable_categorical=True)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 7, "eta": 0.5, "nthread": 1},
        train,
        200,
        evals=[(valid, "valid")],
        early_stopping_rounds=5,
        verbose_eval=False,
    )
    sliced = booster[: booster.best_iteration + 1]
    assert sliced.num_boosted_rounds() < 200
    assert_matches_pred_contribs(sliced, X[2000:], types)


def test_engines_agree_on_a_trained_detector(detector, history) -> None:
    rows = history.head(2_500)
    fast = contributions(detector, rows, engine="fast")
    slow = contributions(detector, rows, engine="xgboost")
    assert fast_engine(detector) is not None
    np.testing.assert_allclose(fast.values, slow.values, atol=TOL, rtol=0)
    np.testing.assert_allclose(fast.bias, slow.bias, atol=TOL, rtol=0)
    np.testing.assert_allclose(fast.margin, slow.margin, atol=TOL, rtol=0)


def test_threads_and_blocks_do_not_change_values() -> None:
    X, y, types = random_data(9, 1_200, 3, 2, 0.1)
    dm = xgb.DMatrix(X, y, feature_types=types, enable_categorical=True)
    engine = fast_explainer(xgb.train({"max_depth": 5, "nthread": 1}, dm, 10))
    one = engine.shap_values(X, threads=1)
    np.testing.assert_array_equal(one, engine.shap_values(X, threads=2))
    np.testing.assert_array_equal(one[:300], engine.shap_values(X[:300], threads=2))


def test_unsupported_models_and_unknown_engine(detector, history) -> None:
    X, y, types = random_data(2, 600, 3, 0, 0.0)
    dm = xgb.DMatrix(X, y.astype(int) + (X[:, 1] > 0), feature_types=types)
    multi = xgb.train({"objective": "multi:softprob", "num_class": 3, "nthread": 1}, dm, 3)
    with pytest.raises(UnsupportedModel):
        fast_explainer(multi)
    linear = xgb.train({"booster": "gblinear", "nthread": 1}, xgb.DMatrix(X, y), 3)
    with pytest.raises(UnsupportedModel):
        fast_explainer(linear)
    with pytest.raises(UsageError, match="unknown explanation engine"):
        contributions(detector, history.head(10), engine="gpu")


def test_infinite_values_are_refused_like_xgboost_does(detector, history) -> None:
    import polars as pl

    from riskctl.errors import DataError

    numeric = next(f.name for f in detector.features if f.kind == "numeric")
    rows = history.head(50).with_columns(pl.lit(float("inf")).alias(numeric))
    with pytest.raises(DataError, match=f"column '{numeric}' holds 50 infinite values"):
        contributions(detector, rows)


def test_more_rounds_on_the_same_booster_give_a_new_engine() -> None:
    X, y, types = random_data(4, 800, 3, 1, 0.1)
    dm = xgb.DMatrix(X, y, feature_types=types, enable_categorical=True)
    booster = xgb.train({"max_depth": 4, "nthread": 1}, dm, 3)
    first = fast_explainer(booster)
    assert fast_explainer(booster) is first
    for iteration in (3, 4):
        booster.update(dm, iteration)  # in place: the same object, two more trees
    assert fast_explainer(booster) is not first
    assert_matches_pred_contribs(booster, X, types)
