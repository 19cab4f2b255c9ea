"""Mix and rate terms add up to the total change; SHAP shifts add up to the margin change."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.model.detector import Detector
from riskctl.monitor.attribution import attribute, decompose, shap_shift

segment_sums = st.dictionaries(
    st.sampled_from(list("abcdef")),
    st.tuples(st.integers(0, 50), st.integers(0, 80)).map(lambda t: (float(min(t)), float(t[1]))),
    min_size=1,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(ref=segment_sums, cur=segment_sums)
def test_mix_plus_rate_is_the_total_change(ref: dict, cur: dict) -> None:
    if sum(d for _, d in ref.values()) == 0 or sum(d for _, d in cur.values()) == 0:
        return
    a = decompose(ref, cur)
    direct_ref = sum(n for n, _ in ref.values()) / sum(d for _, d in ref.values())
    direct_cur = sum(n for n, _ in cur.values()) / sum(d for _, d in cur.values())
    assert a.reference == pytest.approx(direct_ref) and a.current == pytest.approx(direct_cur)
    total = sum(t.mix + t.rate for t in a.terms)
    assert total == pytest.approx(direct_cur - direct_ref, abs=1e-12)
    for t in a.terms:
        # a segment whose share did not move has no mix term; one whose rate did not, no rate
        if t.share_reference == t.share_current:
            assert t.mix == 0
        if t.rate_reference == t.rate_current:
            assert t.rate == 0


def test_pure_mix_and_pure_rate_changes() -> None:
    # shares move, rates stay: all mix
    a = decompose({"x": (1, 10), "y": (5, 10)}, {"x": (1, 10), "y": (15, 30)})
    assert sum(t.rate for t in a.terms) == 0
    assert sum(t.mix for t in a.terms) == pytest.approx(a.change)
    # rates move, shares stay: all rate, and on the segment that moved
    b = decompose({"x": (1, 10), "y": (5, 10)}, {"x": (1, 10), "y": (8, 10)})
    assert [t.segment for t in b.terms][0] == "y"
    assert sum(t.mix for t in b.terms) == 0 and b.terms[0].rate == pytest.approx(0.15)


def test_new_and_vanished_segments() -> None:
    a = decompose({"x": (2, 10), "gone": (9, 10)}, {"x": (2, 10), "new": (1, 10)})
    by = {t.segment: t for t in a.terms}
    assert by["new"].rate == 0 and by["gone"].rate == 0
    assert sum(t.total for t in a.terms) == pytest.approx(a.change)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(0, 10_000))
def test_frame_attribution_matches_a_row_by_row_oracle(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = []
    for n in (rng.integers(1, 200), rng.integers(1, 200)):
        frames.append(
            pl.DataFrame(
                {
                    "seg": rng.choice(["a", "b", "c", None], n).tolist(),
                    "flag": rng.random(n) < rng.random(),
                }
            )
        )
    ref, cur = frames
    a = attribute(ref, cur, "seg", pl.col("flag"), pl.lit(1.0), "alert_rate")
    assert a.reference == pytest.approx(sum(ref["flag"]) / ref.height)
    assert a.current == pytest.approx(sum(cur["flag"]) / cur.height)
    assert sum(t.total for t in a.terms) == pytest.approx(a.change, abs=1e-12)
    for t in a.terms:
        key = None if t.segment == "(none)" else t.segment
        rows = [f for s, f in cur.iter_rows() if s == key]
        if rows:
            assert t.share_current == pytest.approx(len(rows) / cur.height)
            assert t.rate_current == pytest.approx(sum(rows) / len(rows))


def test_numeric_by_column_uses_reference_deciles() -> None:
    rng = np.random.default_rng(0)
    ref = pl.DataFrame({"amount": rng.lognormal(3, 1, 500), "flag": rng.random(500) < 0.1})
    cur = pl.DataFrame({"amount": rng.lognormal(3.5, 1, 400), "flag": rng.random(400) < 0.1})
    a = attribute(ref, cur, "amount", pl.col("flag"), pl.lit(1.0), "alert_rate")
    assert 5 <= len(a.terms) <= 11
    assert sum(t.share_reference for t in a.terms) == pytest.approx(1.0)


def test_shap_shift_adds_up_to_the_margin_change(detector: Detector, history: pl.DataFrame) -> None:
    ref, cur = history.head(3000), history.tail(3000)
    s = shap_shift(detector, ref, cur, sample=1000, seed=3)
    assert s.sample_reference == 1000 and s.sample_current == 1000
    assert sum(f.shift for f in s.features) == pytest.approx(s.margin_change, abs=1e-4)
    # the margins are XGBoost's own, on the same sampled rows
    margin = detector.booster.predict(
        detector.dmatrix(ref.sample(1000, seed=3)), output_margin=True
    )
    assert s.margin_reference == pytest.approx(float(margin.mean()), abs=1e-4)
    shifts = [abs(f.shift) for f in s.features]
    assert shifts == sorted(shifts, reverse=True)


def test_missing_by_values_are_named_as_every_command_names_them() -> None:
    """`(none)`, unless a real value (in either period) is spelled so."""
    ref = pl.DataFrame({"seg": ["(none)", None, "a", "a"], "flag": [True, False, True, False]})
    cur = pl.DataFrame({"seg": [None, None, "a"], "flag": [True, True, False]})
    a = attribute(ref, cur, "seg", pl.col("flag"), pl.lit(1.0), "alert_rate")
    shares = {t.segment: t.share_current for t in a.terms}
    assert shares == {"(none)": 0.0, "(missing)": pytest.approx(2 / 3), "a": pytest.approx(1 / 3)}
