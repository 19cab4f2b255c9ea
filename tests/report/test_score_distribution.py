"""The report's score distribution: each label's share of rows per bin on a log axis (most
good rows sit in the lowest bin, so a linear axis flattens the bad rows), with every
threshold the strategies set on the score drawn as a rule."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation

from .test_curve_exact import data_of, embedded_spec, history, mark


def units(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("scores")
    data = history(tmp / "d.parquet", 8, goods=20_000, bads=600)
    cand = tmp / "c.yaml"
    cand.write_text(
        "name: cand\nactions: [block, review, allow]\n"
        "thresholds: {block: {score: 0.93}, review: {score: 0.41}}\n"
        "segments:\n  - {name: big, when: 'amount > 500', thresholds: {review: {score: 0.22}}}\n"
        "label: is_bad\namount: amount\n"
    )
    base = tmp / "b.yaml"
    base.write_text(
        "name: base\nactions: [review, allow]\nthresholds: {review: {score: 0.6}}\n"
        "label: is_bad\namount: amount\n"
    )
    run = run_simulation(cand, data, baseline=base)
    out = report_for_run(run, check_guardrails(run), None, tmp / "r.html", "x")
    spec = embedded_spec(out.read_text(), "scores")
    spec["_data"] = str(data)
    return spec


def test_share_of_each_label_on_a_log_axis(spec: dict) -> None:
    bars = next(u for u in units(spec) if mark(u) == "bar")
    y = bars["encoding"]["y"]
    assert y["field"] == "share"
    assert y["scale"]["type"] in ("log", "symlog")
    rows = data_of(bars, spec)
    frame = pl.read_parquet(spec["_data"])
    for label, value in (("bad", 1), ("good", 0)):
        shares = [r["share"] for r in rows if r["label"] == label]
        assert sum(shares) == pytest.approx(1.0)
        scores = frame.filter(pl.col("is_bad") == value)["score"].to_numpy()
        counts, _ = np.histogram(scores, bins=len(shares), range=(0, 1))
        assert shares == pytest.approx((counts / len(scores)).tolist())


def test_every_threshold_is_drawn_as_a_rule(spec: dict) -> None:
    rules = [u for u in units(spec) if mark(u) == "rule"]
    assert len(rules) == 1
    drawn = {(r["strategy"], r["action"], r["threshold"]) for r in data_of(rules[0], spec)}
    assert drawn == {
        ("cand (candidate)", "block", 0.93),
        ("cand (candidate)", "review", 0.41),
        ("cand (candidate)", "review (big)", 0.22),
        ("base (baseline)", "review", 0.6),
    }
    assert rules[0]["encoding"]["x"]["field"] == "threshold"
