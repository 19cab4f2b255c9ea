"""`riskctl demo` end to end, its numbers checked against an independent computation."""

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from riskctl.cli.app import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict, str]:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--rows", "40000", "--seed", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout), result.stdout


def candidate_flags(df: pl.DataFrame, strategy: dict) -> np.ndarray:
    """The example candidate, read by hand: thresholds from its file, rules written out."""
    score = df["score"].to_numpy()
    age = df["account_age_days"].to_numpy()
    review = np.where(
        age < 7,
        strategy["segments"][0]["thresholds"]["review"]["score"],
        strategy["thresholds"]["review"]["score"],
    )
    block = strategy["thresholds"]["block"]["score"]
    promo_farm = (
        df["promo_used"].to_numpy() & (age < 1) & (df["accounts_per_device_7d"].to_numpy() >= 3)
    )
    gift_burst = (df["category"].to_numpy() == "gift_cards") & (
        df["buyer_orders_24h"].to_numpy() >= 3
    )
    return (score >= review) | (score >= block) | promo_farm | gift_burst


def test_demo_writes_everything_and_ends_with_the_report(demo) -> None:
    out, data, _ = demo
    for name in (
        "history.parquet",
        "train.parquet",
        "scored.parquet",
        "explanations.parquet",
        "report.html",
        "detector/model.ubj",
        "detector/manifest.json",
        "strategies/candidate.yaml",
        "strategies/baseline.yaml",
    ):
        assert (out / name).is_file(), name
    assert data["report"] == str(out / "report.html")
    assert (out / "report.html").stat().st_size < 5_000_000  # the size budget
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--rows", "40000", "--seed", "3"])
    assert result.stdout.strip().splitlines()[-1] == f"Report: {out / 'report.html'}"


def test_reported_metrics_equal_an_independent_computation(demo) -> None:
    out, data, _ = demo
    df = pl.read_parquet(out / "scored.parquet")
    strategy = yaml.safe_load((out / "strategies" / "candidate.yaml").read_text())
    flagged = candidate_flags(df, strategy)
    bad = df["is_bad"].to_numpy() == 1
    m = data["candidate"]["metrics"]
    assert m["rows"] == df.height
    assert m["catch_rate"] == pytest.approx((flagged & bad).sum() / bad.sum(), abs=1e-12)
    assert m["false_positive_rate"] == pytest.approx(
        (flagged & ~bad).sum() / (~bad).sum(), abs=1e-12
    )
    assert m["precision"] == pytest.approx((flagged & bad).sum() / flagged.sum(), abs=1e-12)
    assert m["alert_rate"] == pytest.approx(flagged.mean(), abs=1e-12)


def test_the_detector_learned_on_earlier_rows_only(demo) -> None:
    out, data, _ = demo
    manifest = json.loads((out / "detector" / "manifest.json").read_text())
    scored = pl.read_parquet(out / "scored.parquet")
    assert manifest["window"]["test_end"] < str(scored["event_time"].min())
    assert data["detector"]["roc_auc"] > 0.85


def test_flagged_rows_are_explained(demo) -> None:
    out, data, _ = demo
    explained = pl.read_parquet(out / "explanations.parquet")
    assert explained.height == round(data["candidate"]["metrics"]["flagged"])
    shap_cols = [c for c in explained.columns if c.startswith("shap_")]
    total = explained.select(pl.sum_horizontal(shap_cols)).to_series().to_numpy()
    np.testing.assert_allclose(total, explained["margin"].to_numpy(), atol=1e-4)
    # the rules that fired come first, then the model's top three reasons
    fired = explained["decided_by"].str.starts_with("rule:")
    rule_codes = ["R101", "R102", "R201"]
    model = explained["reason_codes"].list.eval(pl.element().is_in(rule_codes).not_().sum())
    assert (model.list.first() <= 3).all()
    assert (
        explained.filter(fired)["reason_codes"].list.first().is_in(["R101", "R102", "R201"]).all()
    )
    assert explained["order_id"].str.starts_with("o").all()  # the demo's own file is not masked


def test_report_shows_the_same_numbers(demo) -> None:
    out, data, _ = demo
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    cell = soup.select('#metrics tr[data-metric="catch_rate"] td')[2].get_text(strip=True)
    assert float(cell.split("%")[0]) == pytest.approx(
        100 * data["candidate"]["metrics"]["catch_rate"], abs=0.0051
    )


def test_same_seed_same_outputs(demo, tmp_path: Path) -> None:
    out, _, stdout = demo
    again = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path), "--rows", "40000", "--seed", "3", "--json"]
    )
    first, second = json.loads(stdout), json.loads(again.stdout)
    for d in (first, second):
        d.pop("seconds")
        d.pop("report")
        d["detector"].pop("path")
    assert first["candidate"]["metrics"] == second["candidate"]["metrics"]
    for name in (
        "history.parquet",
        "scored.parquet",
        "detector/model.ubj",
        "detector/manifest.json",
        "explanations.parquet",
    ):
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name
    # the report is the same but for masked ids: their key is new every run, by design
    masked = re.compile(r"m_[0-9a-f]{16}")
    first_html = masked.sub("m_", (out / "report.html").read_text(encoding="utf-8"))
    second_html = masked.sub("m_", (tmp_path / "report.html").read_text(encoding="utf-8"))
    assert first_html == second_html
