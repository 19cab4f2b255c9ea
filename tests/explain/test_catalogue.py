from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from riskctl.errors import ConfigError
from riskctl.explain.catalogue import Catalogue, ReasonEntry, fill, format_value, load_catalogue
from riskctl.explain.contributions import Contributions
from riskctl.explain.reasons import generated_text, model_reasons
from riskctl.model.features import ModelFeature

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "catalogue_errors.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_catalogue_errors(case: dict, tmp_path: Path, detector) -> None:
    path = tmp_path / "reasons.yaml"
    path.write_text(case["catalogue"])
    with pytest.raises(ConfigError) as err:
        load_catalogue(path).check_columns(detector.feature_names)
    assert str(err.value) == case["error"].replace("{file}", str(path))


def test_shipped_catalogue_covers_the_demo_detector(example_strategies: Path, detector) -> None:
    catalogue = load_catalogue(example_strategies / "reason_codes.yaml")
    catalogue.check_columns(detector.feature_names)
    assert catalogue.uncatalogued(detector.feature_names) == ["country", "seller_refund_rate_30d"]
    rule_codes = {
        r["reason"]
        for name in ("baseline.yaml", "candidate.yaml")
        for r in yaml.safe_load((example_strategies / name).read_text())["rules"]
    }
    assert rule_codes <= set(catalogue.by_code)
    assert all(e.text.strip() for e in catalogue.entries)


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (742.1, "money", "742.10"),
        (12345.678, "money", "12,345.68"),
        (1, "days", "1 day"),
        (0, "days", "0 days"),
        (2.5, "days", "2.5 days"),
        (0.364, "percent", "36.4%"),
        (7, "count", "7"),
        (True, "text", "yes"),
        (None, "money", "unknown"),
        (float("nan"), "number", "unknown"),
        ("SE", "text", "SE"),
    ],
)
def test_values_are_formatted_for_people(value, fmt: str, text: str) -> None:
    assert format_value(value, fmt) == text


def test_fill_infers_formats_from_names() -> None:
    row = {
        "amount": 742.1,
        "account_age_days": 3,
        "seller_refund_rate_30d": 0.25,
        "buyer_orders_24h": 4,
    }
    assert (
        fill(
            "{amount} / {account_age_days} / {seller_refund_rate_30d} / {buyer_orders_24h}"
            " {{literal}}",
            row,
        )
        == "742.10 / 3 days / 25.0% / 4 {literal}"
    )


def test_generated_text_says_high_or_low_against_the_training_median() -> None:
    f = ModelFeature("amount", "numeric", "Float64", median=50.0)
    assert generated_text(f, 742.1) == "High value of amount (742.10)"
    assert generated_text(f, 3.0) == "Low value of amount (3.00)"
    assert generated_text(ModelFeature("country", "categorical", "String"), "SE") == "country is SE"
    assert (
        generated_text(ModelFeature("promo_used", "boolean", "Boolean"), True) == "promo_used: yes"
    )
    assert generated_text(f, None) == "amount is missing"


def test_grouped_contributions_are_summed_before_ranking() -> None:
    features = [
        ModelFeature("a", "numeric", "Float64", median=0.0),
        ModelFeature("b", "numeric", "Float64", median=0.0),
        ModelFeature("c", "numeric", "Float64", median=0.0),
    ]
    values = np.array(
        [
            [0.3, 0.3, 0.5],  # a+b = 0.6 beats c = 0.5
            [0.3, -0.2, 0.5],  # a+b = 0.1 loses to c
            [-0.3, -0.2, -0.1],
        ]
    )  # nothing pushes risk up: no reasons
    contrib = Contributions(["a", "b", "c"], values, np.zeros(3), values.sum(axis=1))
    catalogue = Catalogue([ReasonEntry(code="AB", text="a and b ({a})", features=["a", "b"])])
    df = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 0.0], "c": [5.0, 6.0, 7.0]})
    codes, texts = model_reasons(contrib, df, features, catalogue, k=3)
    assert codes == [["AB", "M_C"], ["M_C", "AB"], []]
    assert texts[0] == ["a and b (1.00)", "High value of c (5.00)"]
