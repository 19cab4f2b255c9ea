"""Several detectors in one strategy; property tests on small random histories."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskctl.metrics.intervals import paired_bootstrap_cells, replicate_totals
from riskctl.simulation.simulate import run_simulation


def test_two_detectors_each_with_its_thresholds(tmp_path: Path, detector, history) -> None:
    data = tmp_path / "d.parquet"
    rows = history.head(4_000)
    rows.write_parquet(data)
    (tmp_path / "strategies").mkdir()
    strategy = tmp_path / "strategies" / "s.yaml"
    det_link = tmp_path / detector.path.name
    det_link.symlink_to(detector.path)
    strategy.write_text(f"""name: two
detectors:
  score_order: ../{det_link.name}
  score_buyer: ../{det_link.name}
actions: [block, review, allow]
thresholds:
  block: {{score_order: 0.9}}
  review: {{score_buyer: 0.3}}
label: is_bad
""")
    run = run_simulation(strategy, data, rows="all")  # the detector's own training rows
    expected = detector.score(rows)
    np.testing.assert_allclose(run.table["score_order"].to_numpy(), expected, rtol=1e-6)
    decided = run.candidate.decisions
    np.testing.assert_array_equal(
        decided["action"].to_numpy(),
        np.where(expected >= 0.9, "block", np.where(expected >= 0.3, "review", "allow")),
    )


def test_a_detector_is_not_run_when_the_data_has_its_score(tmp_path: Path, scored_path) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\ndetectors: {score: ./does-not-exist}\n"
        "actions: [review, allow]\nthresholds:\n  review: {score: 0.5}\n"
        "label: is_bad\n"
    )
    run = run_simulation(strategy, scored_path)
    assert run.detectors == {}
    assert run.candidate.metrics.flagged == int(
        (pl.read_parquet(scored_path)["score"] >= 0.5).sum()
    )


def _by_cell(base, cand, bad, amount):
    """The (baseline, candidate, label) cells of rows: rows, amount and squared amount."""
    keys = sorted(set(zip(base.tolist(), cand.tolist(), bad.tolist(), strict=True)))
    out = []
    for k in keys:
        mask = (base == k[0]) & (cand == k[1]) & (bad == k[2])
        out.append((k, mask.sum(), amount[mask].sum(), (amount[mask] ** 2).sum()))
    return out


def _cell_bootstrap(base, cand, bad, amount, weighted: bool, seed: int = 0):
    cells = _by_cell(base, cand, bad, amount)
    rows, amt, sq = (np.array([c[i] for c in cells], dtype=float) for i in (1, 2, 3))
    b = np.array([c[0][0] for c in cells], dtype=float)
    c = np.array([c[0][1] for c in cells], dtype=float)
    y = np.array([c[0][2] for c in cells], dtype=float)
    counts, amounts = replicate_totals(rows, amt, sq, reps=2000, seed=seed)
    if weighted:  # amount caught / bad amount
        return paired_bootstrap_cells((b * y, y, c * y, y), amounts, amt)
    return paired_bootstrap_cells((b * y, b, c * y, c), counts, rows)  # precision


def _row_bootstrap(nb, db, nc, dc, reps=2000, seed=7):
    """The obvious Poisson bootstrap, row by row: the oracle."""
    weights = np.random.default_rng(seed).poisson(1.0, size=(reps, len(nb))).astype(float)
    stats = (weights @ nc) / (weights @ dc) - (weights @ nb) / (weights @ db)
    return np.quantile(stats[np.isfinite(stats)], [0.025, 0.975])


def test_cell_bootstrap_is_paired_and_reproducible() -> None:
    rng = np.random.default_rng(0)
    bad = rng.random(5_000) < 0.1
    base = rng.random(5_000) < 0.05
    cand = base | (rng.random(5_000) < 0.01)
    amount = np.ones(5_000)
    a = _cell_bootstrap(base, cand, bad, amount, False, seed=1)
    assert a == _cell_bootstrap(base, cand, bad, amount, False, seed=1)
    assert a.low <= a.value <= a.high
    same = _cell_bootstrap(base, base, bad, amount, False)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("weighted", [False, True])
def test_cell_bootstrap_agrees_with_the_row_by_row_bootstrap(weighted: bool) -> None:
    rng = np.random.default_rng(2)
    n = 40_000
    bad = rng.random(n) < 0.05
    amount = rng.lognormal(3, 1, n)
    base = rng.random(n) < 0.04
    cand = base | (rng.random(n) < 0.02)
    fast = _cell_bootstrap(base, cand, bad, amount, weighted)
    if weighted:
        nb, db, nc, dc = amount * bad * base, amount * bad, amount * bad * cand, amount * bad
    else:
        nb, db, nc, dc = 1.0 * (bad & base), 1.0 * base, 1.0 * (bad & cand), 1.0 * cand
    low, high = _row_bootstrap(nb, db, nc, dc)
    assert fast.value == pytest.approx(nc.sum() / dc.sum() - nb.sum() / db.sum())
    width = high - low
    assert fast.low == pytest.approx(low, abs=0.1 * width)
    assert fast.high == pytest.approx(high, abs=0.1 * width)


# ---------------------------------------------------------------- properties

STRATEGY = """name: {name}
actions: [block, review, allow]
thresholds:
  block: {{score: {block}}}
  review: {{score: {review}}}
rules:
{rules}
label: y
"""
RULES = [
    '  - {name: r1, when: "amount > 80", action: review}',
    '  - {name: r2, when: "devices >= 4", action: block}',
]

tables = st.integers(min_value=20, max_value=200).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0, 100), min_size=n, max_size=n),
        st.lists(st.integers(1, 6), min_size=n, max_size=n),
    )
)


def _write(tmp: Path, table) -> Path:
    score, y, amount, devices = table
    if sum(y) == 0 or sum(y) == len(y):
        y = [1] + [0] * (len(y) - 1)
    path = tmp / "d.parquet"
    pl.DataFrame({"score": score, "y": y, "amount": amount, "devices": devices}).write_parquet(path)
    return path


def _strategy(tmp: Path, name: str, block: float, review: float, rules: list[str]) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(
        STRATEGY.format(
            name=name, block=block, review=review, rules="\n".join(rules) if rules else "  []"
        )
    )
    return path


fast = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # same cases every run
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@fast
@given(table=tables, review=st.floats(0.05, 0.9), drop=st.floats(0.01, 0.5))
def test_lowering_a_threshold_never_lowers_catch_rate_or_fpr(
    tmp_path_factory, table, review, drop
) -> None:
    tmp = tmp_path_factory.mktemp("p")
    data = _write(tmp, table)
    high = _strategy(tmp, "high", 0.95, review, RULES)
    low = _strategy(tmp, "low", 0.95, max(0.0, review - drop), RULES)
    run = run_simulation(low, data, baseline=high)
    b, c = run.baseline.metrics, run.candidate.metrics
    assert c.catch_rate.value >= b.catch_rate.value
    assert c.false_positive_rate.value >= b.false_positive_rate.value


@fast
@given(table=tables, review=st.floats(0.05, 0.99))
def test_rules_add_flags_and_shadow_rules_change_nothing(tmp_path_factory, table, review) -> None:
    tmp = tmp_path_factory.mktemp("p")
    data = _write(tmp, table)
    none = run_simulation(_strategy(tmp, "none", 0.99, review, []), data)
    acting = run_simulation(_strategy(tmp, "acting", 0.99, review, RULES), data)
    shadow = run_simulation(
        _strategy(tmp, "shadow", 0.99, review, [r.replace("}", ", mode: shadow}") for r in RULES]),
        data,
    )
    f0 = none.candidate.decisions["flagged"]
    assert not (f0 & ~acting.candidate.decisions["flagged"]).any()
    assert shadow.candidate.decisions["action"].equals(none.candidate.decisions["action"])


@fast
@given(table=tables, review=st.floats(0.0, 1.0))
def test_metrics_equal_brute_force(tmp_path_factory, table, review) -> None:
    tmp = tmp_path_factory.mktemp("p")
    data = _write(tmp, table)
    run = run_simulation(_strategy(tmp, "s", 0.95, review, RULES), data)
    rows = pl.read_parquet(data).to_dicts()
    flagged = [
        r["score"] >= review or r["score"] >= 0.95 or r["amount"] > 80 or r["devices"] >= 4
        for r in rows
    ]
    bad = [r["y"] == 1 for r in rows]
    m = run.candidate.metrics
    fb = sum(f and b for f, b in zip(flagged, bad, strict=True))
    assert m.flagged == sum(flagged) and m.flagged_bad == fb
    assert m.catch_rate.value == pytest.approx(fb / sum(bad))
    n_good = len(rows) - sum(bad)
    assert m.false_positive_rate.value == pytest.approx((sum(flagged) - fb) / n_good)
    if sum(flagged):
        assert m.precision.value == pytest.approx(fb / sum(flagged))
    assert m.alert_rate.value == pytest.approx(sum(flagged) / len(rows))
