"""Column names XGBoost refuses (`[`, `]`, `<`) train, score and explain: the model carries
positional names, and the manifest, importance, SHAP columns and reasons the user's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.model.detector import load_detector
from riskctl.model.features import model_names

UNSAFE = {"x_a": "amount[eur]", "x_b": "age<days>", "x_c": "refund]rate", "k": "kind[0]"}


def _table(n: int = 3_000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    k = rng.choice(["p", "q", "r"], size=n)
    logit = -3 + 1.5 * a - b + (k == "q")
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return pl.DataFrame({"x_a": a, "x_b": b, "x_c": c, "k": k, "is_bad": bad})


def test_model_names_are_positional_only_when_needed() -> None:
    assert model_names(["a", "b"]) == ["a", "b"]
    assert model_names(["a", "b[1]"]) == ["f0", "f1"]
    assert model_names(["x<y", "f0"]) == ["f0", "f1"]


def _run(*args: object) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("names")
    df = _table()
    out = {}
    for name, frame in (("safe", df), ("unsafe", df.rename(UNSAFE))):
        data = root / f"{name}.parquet"
        frame.write_parquet(data)
        det = root / f"det-{name}"
        _run("train", data, "--label", "is_bad", "--rounds", "40", "--out", det, "-q")
        _run("score", det, data, "--out", root / f"scored-{name}.parquet")
        _run("explain", det, data, "--out", root / f"explained-{name}.parquet")
        out[name] = root
    return {"root": root}


def test_unsafe_names_train_and_score_like_safe_ones(trained) -> None:
    root = trained["root"]
    manifest = json.loads((root / "det-unsafe" / "manifest.json").read_text())
    names = [f["name"] for f in manifest["features"]]
    assert set(names) == set(UNSAFE.values())
    assert load_detector(root / "det-unsafe").booster.feature_names == model_names(names)
    safe = json.loads((root / "det-safe" / "manifest.json").read_text())
    gain = manifest["metrics"]["importance_gain"]
    assert set(gain) == set(UNSAFE.values()) and gain["amount[eur]"] > 0
    assert gain == {UNSAFE[k]: v for k, v in safe["metrics"]["importance_gain"].items()}
    a = pl.read_parquet(root / "scored-safe.parquet")["score"]
    b = pl.read_parquet(root / "scored-unsafe.parquet")["score"]
    assert a.equals(b)


def test_shap_and_reasons_use_the_users_names(trained) -> None:
    root = trained["root"]
    safe = pl.read_parquet(root / "explained-safe.parquet")
    unsafe = pl.read_parquet(root / "explained-unsafe.parquet")
    for inner, user in UNSAFE.items():
        assert safe[f"shap_{inner}"].equals(unsafe[f"shap_{user}"])
    texts = unsafe["reason_texts"].explode().drop_nulls()
    assert texts.str.contains("amount[eur]", literal=True).any()
