"""Drift planted by the generator is detected and attributed to the right feature or segment."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from riskctl.data.io import write_table
from riskctl.model.detector import Detector
from riskctl.monitor.run import MonitorOptions, MonitorResult, run_monitor
from riskctl.synth.drift import NEW_ATTACK, parse_drift, plant_drift

DAY = 60
STRATEGY = """\
name: nightly
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.3}
label: is_bad
time: event_time
monitoring:
  max_psi: 0.25
  max_alert_rate_change: 0.02
"""


@pytest.fixture(scope="module")
def strategy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("strategy") / "nightly.yaml"
    path.write_text(STRATEGY, encoding="utf-8")
    return path


def monitor(
    history: pl.DataFrame, spec: str | None, detector: Detector, strategy: Path, tmp: Path, **kw
) -> MonitorResult:
    """Days 30-59 against days 60-89 (the first month's point-in-time features are still
    warming up: a new history has no old accounts or known devices yet)."""
    df = plant_drift(history, [parse_drift(spec)] if spec else [], seed=1)
    start, cut = (datetime(2026, 6, 1) + timedelta(days=d) for d in (30, DAY))
    before = pl.col("event_time") < cut
    ref = write_table(df.filter(before & (pl.col("event_time") >= start)), tmp / "ref.parquet")
    cur = write_table(df.filter(~before), tmp / "cur.parquet")
    # the planted history is the detector's own training history: every row counts
    kw = {"rows": "all", **kw}
    options = MonitorOptions(cur, ref, detector.path, strategy, by=("category",), sample=1500, **kw)
    return run_monitor(options)


def test_no_drift_no_alarm(history, detector, strategy, tmp_path) -> None:
    r = monitor(history, None, detector, strategy, tmp_path)
    assert r.failed == []
    # accounts age as the history goes on, so account_age_days moves a little by itself
    assert max(d.psi or 0 for d in r.drift) < 0.25


def test_feature_shift_is_detected_and_attributed(history, detector, strategy, tmp_path) -> None:
    r = monitor(history, f"shift=seller_refund_rate_30d:{DAY}", detector, strategy, tmp_path)
    assert r.drift[0].column == "seller_refund_rate_30d" and r.drift[0].psi > 0.25
    assert all(d.psi < 0.25 for d in r.drift[1:])
    assert [t.id for t in r.failed][0] == "max_psi:seller_refund_rate_30d"
    assert r.score_shift is not None
    assert r.score_shift.features[0].feature == "seller_refund_rate_30d"


def test_amount_shift_shows_in_its_own_psi(history, detector, strategy, tmp_path) -> None:
    r = monitor(history, f"shift=amount:{DAY}", detector, strategy, tmp_path)
    assert r.drift[0].column == "amount"


def test_traffic_mix_change_is_mix_in_the_right_segment(
    history, detector, strategy, tmp_path
) -> None:
    r = monitor(history, f"mix=category=electronics:{DAY}", detector, strategy, tmp_path)
    assert "category" in [d.column for d in r.drift[:2]]
    (score,) = [a for a in r.attributions if a.metric == "mean_score"]
    top_mix = max(score.terms, key=lambda t: abs(t.mix))
    assert top_mix.segment == "electronics"
    assert top_mix.share_current > 1.8 * top_mix.share_reference
    # the same days without and with the plant: only the mix moved, so the mix terms carry
    # the change and the rate terms are thinning noise
    cut = datetime(2026, 6, 1) + timedelta(days=DAY)
    late = pl.col("event_time") >= cut
    drifted = plant_drift(history, [parse_drift(f"mix=category=electronics:{DAY}")], seed=1)
    ref = write_table(history.filter(late), tmp_path / "same_ref.parquet")
    cur = write_table(drifted.filter(late), tmp_path / "same_cur.parquet")
    same = run_monitor(
        MonitorOptions(cur, ref, detector.path, strategy, by=("category",), sample=0, rows="all")
    )
    (score,) = [a for a in same.attributions if a.metric == "mean_score"]
    total_mix = sum(t.mix for t in score.terms)
    total_rate = sum(t.rate for t in score.terms)
    assert abs(total_mix) > 3 * abs(total_rate)
    assert total_mix + total_rate == pytest.approx(score.change, abs=1e-12)


def test_new_attack_is_attributed_to_its_segment(history, detector, strategy, tmp_path) -> None:
    r = monitor(history, f"attack=0.05:{DAY}", detector, strategy, tmp_path)
    (bad,) = [a for a in r.attributions if a.metric == "bad_rate"]
    assert bad.change > 0.01
    assert bad.terms[0].segment == "gift_cards" and bad.terms[0].total > 0.5 * bad.change
    assert [t.id for t in r.failed] == ["max_alert_rate_change"]
    (alert,) = [a for a in r.attributions if a.metric == "alert_rate"]
    assert alert.terms[0].segment == "gift_cards"


def test_planting_is_seeded_and_keeps_rows_before_the_day(history) -> None:
    spec = [parse_drift("attack:45"), parse_drift("mix:45")]
    a, b = plant_drift(history, spec, seed=4), plant_drift(history, spec, seed=4)
    assert a.equals(b)
    cut = datetime(2026, 6, 1) + timedelta(days=45)
    assert a.filter(pl.col("event_time") < cut).equals(history.filter(pl.col("event_time") < cut))
    assert a.filter(pl.col("attack") == NEW_ATTACK)["event_time"].min() >= cut
    assert a.schema == history.schema
