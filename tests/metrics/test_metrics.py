from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.metrics.intervals import wilson
from riskctl.simulation.simulate import run_simulation

STRATEGY = """
name: {name}
actions: [block, review, allow]
thresholds:
  block: {{score: {block}}}
  review: {{score: {review}}}
label: y
time: t
amount: amount
costs: {{false_positive: 5.0, review: 2.0}}
label_maturity_days: {maturity}
"""


def test_wilson_known_values() -> None:
    # Wilson's interval for 5 of 10 and for 0 of 20, by the textbook formula
    p = wilson(5, 10)
    assert (p.low, p.high) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    p = wilson(0, 20)
    assert p.low == 0.0 and p.high == pytest.approx(0.161125, abs=1e-6)


@pytest.fixture
def table(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    n = 4_000
    y = (rng.random(n) < 0.08).astype(int)
    df = pl.DataFrame(
        {
            "y": y,
            "score": np.clip(rng.random(n) * 0.7 + y * 0.3, 0, 1),
            "amount": np.round(rng.random(n) * 300, 2),
            "t": pl.datetime_range(
                pl.datetime(2026, 1, 1),
                pl.datetime(2026, 1, 1) + pl.duration(minutes=15 * (n - 1)),
                "15m",
                eager=True,
            ),
        }
    )
    path = tmp_path / "t.parquet"
    df.write_parquet(path)
    return path


def _strategy(tmp_path: Path, name: str, block: float, review: float, maturity: int = 0) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(STRATEGY.format(name=name, block=block, review=review, maturity=maturity))
    return path


def test_metrics_equal_a_row_by_row_count(tmp_path: Path, table: Path) -> None:
    run = run_simulation(_strategy(tmp_path, "c", 0.9, 0.75, maturity=5), table)
    df = pl.read_parquet(table)
    newest = df["t"].max()
    rows = [r for r in df.iter_rows(named=True) if (newest - r["t"]).total_seconds() >= 5 * 86400]
    flagged = [r["score"] >= 0.75 for r in rows]
    bad = [r["y"] == 1 for r in rows]
    fb = sum(f and b for f, b in zip(flagged, bad, strict=True))
    fg = sum(f and not b for f, b in zip(flagged, bad, strict=True))
    m = run.candidate.metrics
    assert m.left_out_immature == df.height - len(rows)
    assert m.catch_rate.value == fb / sum(bad)
    assert m.false_positive_rate.value == fg / (len(rows) - sum(bad))
    assert m.precision.value == fb / sum(flagged)
    # rows whose label has not matured still count in alert rate and review load
    everything = list(df.iter_rows(named=True))
    assert m.alert_rate.value == sum(r["score"] >= 0.75 for r in everything) / df.height
    reviews = sum(0.75 <= r["score"] < 0.9 for r in everything)
    days = len({r["t"].date() for r in everything})
    assert m.review_per_day == pytest.approx(reviews / days)
    missed = sum(r["amount"] for r, f, b in zip(rows, flagged, bad, strict=True) if b and not f)
    assert m.expected_cost == pytest.approx(missed + 5.0 * fg + 2.0 * reviews)
    caught = sum(r["amount"] for r, f, b in zip(rows, flagged, bad, strict=True) if b and f)
    assert m.amount_catch_rate == pytest.approx(
        caught / sum(r["amount"] for r, b in zip(rows, bad, strict=True) if b)
    )


def test_lowering_a_threshold_never_lowers_catch_rate_or_fpr(tmp_path: Path, table) -> None:
    base = _strategy(tmp_path, "b", 0.9, 0.8)
    cand = _strategy(tmp_path, "c", 0.9, 0.7)
    run = run_simulation(cand, table, baseline=base)
    assert run.comparison is not None
    assert run.comparison.delta["catch_rate"].value >= 0
    assert run.comparison.delta["false_positive_rate"].value >= 0
    cells = {(c.baseline_flagged, c.candidate_flagged): 0 for c in run.comparison.swap_set}
    for c in run.comparison.swap_set:
        cells[(c.baseline_flagged, c.candidate_flagged)] += c.rows
    assert cells[(True, False)] == 0  # a lower threshold swaps nothing out
    assert sum(cells.values()) == run.candidate.metrics.rows
