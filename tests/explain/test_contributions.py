import numpy as np
import shap

from riskctl.explain.contributions import contributions
from riskctl.explain.reasons import model_reason_code, model_reasons
from riskctl.explain.run import explain_rows


def test_contributions_add_up_to_the_margin(detector, history) -> None:
    rows = history.head(3_000)
    c = contributions(detector, rows)
    margin = detector.booster.predict(detector.dmatrix(rows), output_margin=True)
    np.testing.assert_allclose(c.values.sum(axis=1) + c.bias, margin, atol=1e-4)
    np.testing.assert_allclose(c.margin, margin, atol=1e-4)


def test_contributions_agree_with_shap_tree_explainer(detector, history) -> None:
    rows = history.head(500)
    ours = contributions(detector, rows).values
    explainer = shap.TreeExplainer(detector.booster)
    theirs = explainer.shap_values(detector.dmatrix(rows))
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_reasons_only_push_risk_up_and_are_ranked(detector, history) -> None:
    rows = history.head(400)
    c = contributions(detector, rows)
    codes, texts = model_reasons(c, rows, detector.features, k=3)
    index = {name: i for i, name in enumerate(c.features)}
    for row, rs in enumerate(codes):
        vals = [c.values[row, index[code.removeprefix("M_").lower()]] for code in rs]
        assert all(v > 0 for v in vals)
        assert vals == sorted(vals, reverse=True)
        assert len(rs) == len(texts[row]) == min(3, int((c.values[row] > 0).sum()))


def test_explain_rows_columns(detector, history) -> None:
    out = explain_rows(detector, history.head(100), keep=["order_id"])
    assert out.columns[:2] == ["order_id", "score"]
    assert "shap_bias" in out.columns and "margin" in out.columns
    assert f"shap_{detector.feature_names[0]}" in out.columns
    np.testing.assert_allclose(
        out["score"].to_numpy(), detector.score(history.head(100)), atol=1e-5
    )
    assert model_reason_code("amount") == "M_AMOUNT"
