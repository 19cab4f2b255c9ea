"""The evaluation on planted problems: a burst, rings, a leaking column, miscalibration; and
every reported metric recomputed from the recorded split with scikit-learn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    roc_auc_score,
    roc_curve,
)

from riskctl.errors import DetectorError
from riskctl.model.detector import MANIFEST_FILE, Detector, load_detector, manifest_digest
from riskctl.model.score import score_file
from riskctl.model.train import TrainOptions, train

from .conftest import planted_history, week


def _train(path: Path, out: Path, **kw) -> Detector:
    options = TrainOptions(label="is_bad", time="event_time", rounds=60, **kw)
    return train(path, out, options).detector


def _codes(det: Detector) -> list[str]:
    return [w["code"] for w in det.manifest["warnings"]]


def _message(det: Detector, code: str) -> str:
    return next(w["message"] for w in det.manifest["warnings"] if w["code"] == code)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory, planted: Path) -> Detector:
    return _train(planted, tmp_path_factory.mktemp("leaky") / "det", split="random")


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory, planted: Path) -> Detector:
    out = tmp_path_factory.mktemp("grouped") / "det"
    return _train(planted, out, split="random", groups=("device",))


def test_a_group_split_removes_the_ring_leak(leaky, grouped, planted) -> None:
    flattering, honest = leaky.manifest["metrics"], grouped.manifest["metrics"]
    assert flattering["roc_auc"] > honest["roc_auc"] + 0.08
    assert flattering["intervals"]["roc_auc"][0] > 0.55
    assert "near-chance" in _codes(grouped) and "near-chance" not in _codes(leaky)
    # no device on two sides, read back from the recorded split
    rows = pl.read_parquet(planted).with_row_index("row")
    split = pl.read_parquet(grouped.path / "split.parquet").join(rows, on="row")
    sides = split.group_by("device").agg(pl.col("slice").n_unique().alias("n"))
    assert sides["n"].max() == 1
    leak = pl.read_parquet(leaky.path / "split.parquet").join(rows, on="row")
    ring = leak.filter(pl.col("device").str.starts_with("ring"))
    assert ring.group_by("device").agg(pl.col("slice").n_unique())["slice"].max() > 1
    assert grouped.manifest["split"]["groups"] == ["device"]


def test_the_burst_is_named_and_the_model_is_near_chance(tmp_path: Path, planted) -> None:
    det = _train(planted, tmp_path / "det")
    spread = _message(det, "bad-rate-varies")
    for w in (0, 1):  # the burst weeks, named with their bad rate
        assert f"{week(w)} (" in spread
    assert "across weekly periods" in spread
    assert "near-chance" in _codes(det)
    assert (
        "includes 0.5" in _message(det, "near-chance") or det.manifest["metrics"]["roc_auc"] < 0.6
    )
    periods = det.manifest["periods"]
    assert [p["period"] for p in periods] == [week(i) for i in range(12)]
    assert periods[0]["bad_rate"] > 0.5 > 0.15 > periods[-1]["bad_rate"]


def test_a_result_carried_by_a_burst_is_called_out(tmp_path: Path) -> None:
    df = planted_history(rings=0)
    last = pl.col("event_time") >= pl.lit(week(11)).str.to_datetime()
    hot = last & (pl.int_range(pl.len()) % 3 == 0)
    df = df.with_columns(pl.when(hot).then(1).otherwise(pl.col("is_bad")).alias("is_bad"))
    path = tmp_path / "h.parquet"
    df.write_parquet(path)
    det = _train(path, tmp_path / "det")
    message = _message(det, "carried-by-a-burst")
    assert f"one weekly period, {week(11)}" in message
    overall = det.manifest["metrics"]["roc_auc"]
    assert f"the test ROC AUC is {overall:.3f} overall and " in message
    assert "outside it" in message


def test_a_leaking_column_is_named(tmp_path: Path) -> None:
    df = planted_history(rings=0, burst_weeks=0)
    flip = np.random.default_rng(1).random(df.height) < 0.01
    df = df.with_columns(chargeback=pl.Series(np.where(flip, 1 - df["is_bad"], df["is_bad"])))
    path = tmp_path / "h.parquet"
    df.write_parquet(path)
    det = _train(path, tmp_path / "det", exclude=("device", "account"))
    assert "possible-leakage" in _codes(det)
    assert "'chargeback'" in _message(det, "possible-leakage")
    assert sum(c == "possible-leakage" for c in _codes(det)) == 1


def test_miscalibration_is_called_out_and_calibration_is_applied(tmp_path: Path) -> None:
    df = planted_history(rings=0, burst_weeks=0, rows=4_000)
    signal = np.random.default_rng(2).normal(df["is_bad"].to_numpy() * 1.5, 1.0)
    path = tmp_path / "h.parquet"
    df.with_columns(signal=pl.Series(signal)).write_parquet(path)
    config = tmp_path / "model.yaml"
    config.write_text("imbalance: balanced\n")
    skewed = _train(path, tmp_path / "skewed", config=config)
    assert "miscalibrated" in _codes(skewed)
    assert "too high" in _message(skewed, "miscalibrated")
    fixed = _train(path, tmp_path / "fixed", config=config, calibrate="isotonic")
    m = fixed.manifest["metrics"]
    assert "miscalibrated" not in _codes(fixed)
    assert m["uncalibrated"]["mean_score"] > 2 * m["mean_score"]
    # the stored map is plain numbers, applied by every scoring path
    stored = fixed.manifest["score_calibration"]
    assert stored["method"] == "isotonic" and len(stored["x"]) == len(stored["y"])
    data = pl.read_parquet(path)
    raw = fixed.booster.predict(fixed.dmatrix(data))
    expected = np.interp(raw, stored["x"], stored["y"])
    assert np.allclose(load_detector(fixed.path).score(data), expected, atol=1e-12)
    score_file(fixed.path, path, tmp_path / "scored.parquet")
    assert np.allclose(pl.read_parquet(tmp_path / "scored.parquet")["score"], expected)


def test_a_tampered_calibration_is_refused(tmp_path: Path, planted) -> None:
    det = _train(planted, tmp_path / "det", calibrate="platt")
    manifest = json.loads((det.path / MANIFEST_FILE).read_text())
    assert set(manifest["score_calibration"]) == {"method", "a", "b"}
    manifest["score_calibration"] = {"method": "platt", "a": "__import__('os')", "b": 0}
    (det.path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(DetectorError, match="changed since training"):
        load_detector(det.path)
    # even with the manifest's own digest recomputed, the map must be plain numbers
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (det.path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(DetectorError, match="malformed score calibration"):
        load_detector(det.path)


def _catch_at(y: np.ndarray, s: np.ndarray, fpr_max: float) -> float:
    fpr, tpr, _ = roc_curve(y, s)
    return float(tpr[fpr <= fpr_max + 1e-12].max())


def _oracle_intervals(s: np.ndarray, y: np.ndarray, groups: np.ndarray | None):
    """The slow obvious bootstrap: Poisson(1) weights per row (or per group), one replicate
    at a time, scikit-learn's weighted metrics."""
    unit = np.arange(len(s)) if groups is None else np.unique(groups, return_inverse=True)[1]
    weights = np.random.default_rng(12345).poisson(1.0, size=(1000, unit.max() + 1))[:, unit]
    roc, ap = [], []
    for w in weights:
        keep = w > 0
        if len(np.unique(y[keep])) < 2:
            continue
        roc.append(roc_auc_score(y[keep], s[keep], sample_weight=w[keep]))
        ap.append(average_precision_score(y[keep], s[keep], sample_weight=w[keep]))
    return {k: np.quantile(v, [0.025, 0.975]) for k, v in (("roc_auc", roc), ("pr_auc", ap))}


def _mean_oracle(values: np.ndarray, groups: np.ndarray | None) -> list[float]:
    """Normal interval of a mean, cluster-robust, row by row."""
    x = [float(v) for v in values]
    n, mean = len(x), sum(x) / len(x)
    if groups is None:
        var = sum((v - mean) ** 2 for v in x) / (n * (n - 1))
    else:
        sums: dict = {}
        for v, g in zip(x, groups, strict=True):
            sums[g] = sums.get(g, 0.0) + (v - mean)
        k = len(sums)
        var = sum(t**2 for t in sums.values()) / n**2 * k / (k - 1)
    return [mean - 1.959963984540054 * var**0.5, mean + 1.959963984540054 * var**0.5]


@pytest.mark.parametrize("which", ["grouped", "leaky"])
def test_every_reported_metric_recomputes_from_the_recorded_split(which, request) -> None:
    det: Detector = request.getfixturevalue(which)
    planted: Path = request.getfixturevalue("planted")
    m = det.manifest["metrics"]
    split = pl.read_parquet(det.path / det.manifest["split"]["file"])
    assert split["row"].to_list() == list(range(pl.read_parquet(planted).height))
    test = split.filter(pl.col("slice") == "test")
    y, s = test["label"].to_numpy(), test["score"].to_numpy()
    assert split.filter(pl.col("slice") != "test")["score"].null_count() == split.height - len(y)
    assert (m["rows"], m["bad"]) == (len(y), int(y.sum()))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert m["brier"] == pytest.approx(brier_score_loss(y, s), abs=1e-12)
    assert m["mean_score"] == pytest.approx(s.mean()) and m["bad_rate"] == pytest.approx(y.mean())
    for fpr, rate in m["catch_rate_at_fpr"].items():
        assert rate == pytest.approx(_catch_at(y, s, float(fpr)), abs=1e-12)
    for i, cell in enumerate(m["calibration"]):
        inside = (s >= i / 10) & ((s < (i + 1) / 10) | (i == 9))
        assert (cell["rows"], cell["bad"]) == (int(inside.sum()), int(y[inside].sum()))
    groups = test["group"].to_numpy() if "group" in test.columns else None
    oracle = _oracle_intervals(s, y, groups)
    for key in ("roc_auc", "pr_auc"):  # two bootstraps agree up to Monte Carlo error
        assert m["intervals"][key] == pytest.approx(list(oracle[key]), abs=0.03)
    for key, values in (("bad_rate", y), ("mean_score", s), ("brier", (s - y) ** 2)):
        assert m["intervals"][key] == pytest.approx(_mean_oracle(values, groups), abs=1e-12)
    # per period: rows, bad rows and the test ROC AUC of each week
    for p in det.manifest["periods"]:
        rows = split.filter(pl.col("period") == pl.lit(p["period"]).str.to_date())
        assert (p["rows"], p["bad"]) == (rows.height, rows["label"].sum())
        t = rows.filter(pl.col("slice") == "test")
        if p["test_roc_auc"] is not None:
            assert p["test_roc_auc"] == pytest.approx(
                roc_auc_score(t["label"], t["score"]), abs=1e-12
            )


def test_unlabelled_rows_are_listed_in_the_split(tmp_path: Path) -> None:
    df = planted_history(rows=2_000, rings=10).with_columns(
        pl.when(pl.int_range(pl.len()) % 97 == 5).then(None).otherwise("is_bad").alias("is_bad")
    )
    path = tmp_path / "h.csv"
    df.write_csv(path)
    det = train(path, tmp_path / "det", TrainOptions(label="is_bad", rounds=10)).detector
    split = pl.read_parquet(det.path / "split.parquet")
    assert split["row"].to_list() == list(range(df.height))
    unlabelled = split.filter(pl.col("slice") == "unlabelled")["row"].to_list()
    assert (
        unlabelled
        == list(range(5, df.height, 97))
        == (df.with_row_index().filter(pl.col("is_bad").is_null())["index"].to_list())
    )
    assert det.manifest["dropped_unlabelled"] == len(unlabelled)
    assert split.filter(pl.col("slice") == "unlabelled")["label"].null_count() == len(unlabelled)
