import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from riskctl.model.ranking import pr_auc, roc_auc, tradeoff_curve


@pytest.fixture
def scores_with_ties() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    label = rng.random(2_000) < 0.1
    score = np.round(rng.random(2_000) * 0.6 + label * 0.3, 2)  # rounding makes ties
    return score, label.astype(int)


def test_curve_equals_scikit_learn_at_every_threshold(scores_with_ties) -> None:
    score, label = scores_with_ties
    curve = tradeoff_curve(score, label)
    fpr, tpr, thresholds = roc_curve(label, score, drop_intermediate=False)
    # scikit-learn prepends an infinite threshold with nothing flagged
    np.testing.assert_allclose(curve.threshold, thresholds[1:])
    np.testing.assert_allclose(curve.catch_rate, tpr[1:])
    np.testing.assert_allclose(curve.false_positive_rate, fpr[1:])


def test_areas_equal_scikit_learn(scores_with_ties) -> None:
    score, label = scores_with_ties
    assert roc_auc(score, label) == pytest.approx(roc_auc_score(label, score), abs=1e-12)
    assert pr_auc(score, label) == pytest.approx(average_precision_score(label, score), abs=1e-12)


def test_weighted_curve_sums_amounts() -> None:
    score = np.array([0.9, 0.8, 0.8, 0.1])
    label = np.array([1, 0, 1, 1])
    amount = np.array([10.0, 5.0, 20.0, 70.0])
    curve = tradeoff_curve(score, label, amount)
    np.testing.assert_allclose(curve.catch_rate, [0.1, 0.3, 1.0])
    np.testing.assert_allclose(curve.false_positive_rate, [0.0, 1.0, 1.0])
