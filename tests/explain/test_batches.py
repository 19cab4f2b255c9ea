"""`riskctl explain` end to end: strategy reasons, flagged rows, masking, summary."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.data.privacy import mask_ids
from riskctl.errors import UsageError
from riskctl.explain.batches import ExplainOptions, explain_file
from riskctl.explain.contributions import contributions, interactions
from riskctl.explain.run import explain_rows
from riskctl.simulation.simulate import run_simulation


@pytest.fixture(scope="module")
def flagged_run(detector, scored_path: Path, example_strategies: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "reasons.parquet"
    options = ExplainOptions(
        strategy=example_strategies / "candidate.yaml",
        catalogue=example_strategies / "reason_codes.yaml",
        only_flagged=True,
        summary=True,
        batch_rows=7_000,
    )
    result = explain_file(detector.path, scored_path, out, options)
    return result, pl.read_parquet(out)


def test_only_flagged_rows_with_their_actions(flagged_run, scored_path, example_strategies):
    result, frame = flagged_run
    sim = run_simulation(example_strategies / "candidate.yaml", scored_path)
    flagged = sim.candidate.decisions.filter(pl.col("flagged"))
    assert result.rows_explained == frame.height == flagged.height
    assert frame["action"].to_list() == flagged["action"].to_list()
    assert set(frame["action"]) <= {"block", "review"}


def test_fired_rules_lead_the_reasons(flagged_run, example_strategies):
    _, frame = flagged_run
    farm = frame.filter(pl.col("decided_by") == "rule:promo_farm")
    assert farm.height > 0
    assert all(codes[0] == "R102" for codes in farm["reason_codes"].to_list())
    assert all(
        texts[0] == "Promotion used by a brand-new account on a shared device"
        for texts in farm["reason_texts"].to_list()
    )
    by_score = frame.filter(pl.col("decided_by").str.starts_with("threshold"))
    model_codes = {c for codes in by_score["reason_codes"].to_list() for c in codes}
    assert "R11" in model_codes and "R102" not in model_codes


def test_contributions_add_up_in_the_output(flagged_run):
    _, frame = flagged_run
    shap_cols = [c for c in frame.columns if c.startswith("shap_")]
    total = frame.select(pl.sum_horizontal(shap_cols)).to_series().to_numpy()
    np.testing.assert_allclose(total, frame["margin"].to_numpy(), atol=1e-4)
    np.testing.assert_allclose(
        frame["score"].to_numpy(), 1 / (1 + np.exp(-frame["margin"].to_numpy())), rtol=1e-6
    )


def test_summary_matches_the_rows(flagged_run, detector):
    result, frame = flagged_run
    s = result.summary
    assert s.rows == frame.height
    for feature, value in s.importance:
        assert value == pytest.approx(frame[f"shap_{feature}"].abs().mean(), rel=1e-5)
    main = frame.with_columns(pl.col("reason_codes").list.first().alias("main"))
    for action, rows in s.reasons_by_action.items():
        expected = main.filter(pl.col("action") == action)["main"].value_counts()
        counts = dict(expected.iter_rows())
        for code, n, share in rows:
            assert counts[code] == n
            assert share == pytest.approx(n / main.filter(pl.col("action") == action).height)
    assert set(s.importance_by_segment) == {"(none)", "new_accounts"}
    top = s.importance[0][0]
    assert len(s.dependence[top]) > 50


def test_masking_is_keyed_and_stable(history):
    rows = history.head(200).select("buyer_id", "order_id")
    a = mask_ids(rows, ["buyer_id"], b"k1")
    b = mask_ids(rows, ["buyer_id"], b"k2")
    assert a["buyer_id"].n_unique() == rows["buyer_id"].n_unique()
    assert not set(a["buyer_id"]) & set(rows["buyer_id"])
    assert (a["buyer_id"] != b["buyer_id"]).all()
    pairs = pl.DataFrame({"raw": rows["buyer_id"], "masked": a["buyer_id"]}).unique()
    assert pairs.height == rows["buyer_id"].n_unique()  # one mask per id, one id per mask


def test_mask_ids_in_the_output(tmp_path, detector, scored_path):
    out = tmp_path / "r.csv"
    result = explain_file(
        detector.path, scored_path, out, ExplainOptions(mask_ids=True, batch_rows=9_000)
    )
    frame = pl.read_csv(out)
    raw = pl.read_parquet(scored_path)
    assert "buyer_id" in result.masked and "order_id" in result.masked
    assert frame["buyer_id"].str.starts_with("m_").all()
    assert frame["buyer_id"].n_unique() == raw["buyer_id"].n_unique()
    assert frame["reason_codes"].str.contains("M_").any()  # lists joined with "; " in CSV


def test_interaction_values_split_the_contributions(detector, history):
    rows = history.head(300)
    inter = interactions(detector, rows)
    contrib = contributions(detector, rows).values
    np.testing.assert_allclose(inter.sum(axis=2), contrib, atol=2e-3)


def test_approximate_contributions_still_add_up(detector, history):
    rows = history.head(500)
    approx = contributions(detector, rows, approximate=True)
    margin = detector.booster.predict(detector.dmatrix(rows), output_margin=True)
    np.testing.assert_allclose(approx.margin, margin, atol=1e-4)
    exact = contributions(detector, rows)
    assert not np.allclose(approx.values, exact.values)


def test_shap_explanation_for_python_users(detector, history):
    rows = history.head(50)
    explanation = contributions(detector, rows).to_shap()
    assert explanation.values.shape == (50, len(detector.feature_names))
    assert explanation.feature_names == detector.feature_names


def test_usage_errors(tmp_path, detector, scored_path):
    with pytest.raises(UsageError, match="--only-flagged needs --strategy"):
        explain_file(
            detector.path, scored_path, tmp_path / "o.parquet", ExplainOptions(only_flagged=True)
        )
    with pytest.raises(UsageError, match="nothing to do"):
        explain_file(detector.path, scored_path, None, ExplainOptions())


def test_explain_rows_keeps_requested_columns(detector, history):
    out = explain_rows(detector, history.head(10), keep=["order_id", "is_bad"])
    assert out.columns[:3] == ["order_id", "is_bad", "score"]
