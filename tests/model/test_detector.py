import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.errors import DataError, DetectorError
from riskctl.model.detector import MANIFEST_FILE, MODEL_FILE, load_detector
from riskctl.model.ranking import roc_auc
from riskctl.model.train import train_detector


def test_manifest_describes_the_detector(detector) -> None:
    m = json.loads((detector.path / MANIFEST_FILE).read_text())
    assert m["label"] == "is_bad" and m["time"] == "event_time"
    names = [f["name"] for f in m["features"]]
    assert "attack" not in names and "is_bad" not in names and "event_time" not in names
    assert {"buyer_id", "order_id", "device_id", "ip"} <= set(m["excluded"])
    category = next(f for f in m["features"] if f["name"] == "category")
    assert category["kind"] == "categorical" and "electronics" in category["categories"]
    assert m["window"]["train_end"] <= m["window"]["early_stopping_start"]
    assert m["window"]["early_stopping_end"] <= m["window"]["test_start"]
    assert 0.8 < m["metrics"]["roc_auc"] <= 1.0 and 0 < m["metrics"]["pr_auc"] <= 1.0
    assert set(m["versions"]) >= {"xgboost", "polars", "riskctl", "shap"}
    assert len(m["model_sha256"]) == 64 and len(m["data_sha256"]) == 64


def test_metrics_are_on_the_latest_slice(detector, history) -> None:
    m = detector.manifest
    later = history.sort("event_time").tail(m["split"]["test_rows"])
    score = detector.score(later)
    assert roc_auc(score, later["is_bad"].to_numpy()) == pytest.approx(
        m["metrics"]["roc_auc"], abs=1e-6
    )


def test_same_data_and_seed_give_the_same_model_bytes(tmp_path: Path, history_path) -> None:
    a = train_detector(
        history_path,
        "is_bad",
        tmp_path / "a",
        time="event_time",
        exclude=["attack"],
        seed=5,
        rounds=20,
    )
    b = train_detector(
        history_path,
        "is_bad",
        tmp_path / "b",
        time="event_time",
        exclude=["attack"],
        seed=5,
        rounds=20,
    )
    assert (a.detector.path / MODEL_FILE).read_bytes() == (
        b.detector.path / MODEL_FILE
    ).read_bytes()


def test_tampered_model_is_refused(tmp_path: Path, detector) -> None:
    copy = tmp_path / "det"
    copy.mkdir()
    (copy / MANIFEST_FILE).write_bytes((detector.path / MANIFEST_FILE).read_bytes())
    raw = (detector.path / MODEL_FILE).read_bytes()
    (copy / MODEL_FILE).write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DetectorError, match="sha256 does not match"):
        load_detector(copy)


def test_not_a_detector_directory(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="not a detector directory"):
        load_detector(tmp_path)


def test_unseen_categories_score_as_missing(detector, history) -> None:
    rows = history.head(50)
    odd = rows.with_columns(pl.lit("never-seen").alias("category"))
    missing = rows.with_columns(pl.lit(None, dtype=pl.String).alias("category"))
    np.testing.assert_allclose(detector.score(odd), detector.score(missing))


def test_missing_feature_columns_are_named(detector, history) -> None:
    with pytest.raises(DataError, match="amount, country"):
        detector.score(history.drop("amount", "country"))


def test_unknown_label_column_suggests_the_right_one(tmp_path: Path, history_path) -> None:
    with pytest.raises(DataError, match="no label column 'is_bd'.*did you mean `is_bad`"):
        train_detector(history_path, "is_bd", tmp_path / "d")
