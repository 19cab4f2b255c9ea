"""Amounts: a missing (null) amount counts as 0 in every amount sum, the same in `sweep`
(plain and inside a strategy) and `simulate`, checked row by row against the obvious Python
loop; a NaN or infinite amount is refused, one line and exit 2, with no numpy warning."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.values import check_amount
from riskctl.errors import DataError
from riskctl.simulation.simulate import run_simulation
from riskctl.tuning.tradeoff import sweep_rows

STRATEGY = """name: s
actions: [review, allow]
thresholds:
  review: {score: 0.5}
label: is_bad
amount: amount
"""


def _frame(seed: int, n: int, integer: bool) -> pl.DataFrame:
    """Random scores (ties), labels (some missing) and amounts (some missing)."""
    rng = np.random.default_rng(seed)
    amount = np.round(rng.random(n) * 500, 2)
    labels = rng.choice([0, 1], n, p=[0.7, 0.3]).astype(float)
    return pl.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "is_bad": pl.Series(labels).set(pl.Series(rng.random(n) < 0.1), None).cast(pl.Int64),
            "amount": pl.Series(amount.astype(np.int64) if integer else amount).set(
                pl.Series(rng.random(n) < 0.2), None
            ),
        }
    )


def _oracle(rows: list[dict], threshold: float) -> dict[str, float]:
    """The amount sums at one threshold, row by row: a missing amount is 0."""
    out = {"bad": 0.0, "caught": 0.0, "good": 0.0, "impacted": 0.0}
    for r in rows:
        a = 0.0 if r["amount"] is None else float(r["amount"])
        flagged = r["score"] >= threshold
        if r["is_bad"] == 1:
            out["bad"] += a
            out["caught"] += a if flagged else 0.0
        elif r["is_bad"] == 0:
            out["good"] += a
            out["impacted"] += a if flagged else 0.0
    return out


def _assert_curve_matches(points: pl.DataFrame, rows: list[dict]) -> None:
    for p in points.iter_rows(named=True):
        t = math.inf if p["threshold"] is None else p["threshold"]
        want = _oracle(rows, t)
        assert p["bad_amount_caught"] == pytest.approx(want["caught"], abs=1e-6)
        assert p["good_amount_impacted"] == pytest.approx(want["impacted"], abs=1e-6)
        assert p["amount_catch_rate"] == pytest.approx(want["caught"] / want["bad"])
        assert p["good_amount_impacted_rate"] == pytest.approx(want["impacted"] / want["good"])


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    integer=st.booleans(),
    suffix=st.sampled_from(["parquet", "csv"]),
)
def test_sweep_and_simulate_amounts_equal_a_row_by_row_oracle(
    seed: int, integer: bool, suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("amounts")
    df = _frame(seed, 300, integer)
    data = folder / f"d.{suffix}"
    df.write_parquet(data) if suffix == "parquet" else df.write_csv(data)
    strategy = folder / "s.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    rows = df.to_dicts()

    plain = sweep_rows(data, "score", "is_bad", amount="amount")[0]
    inside = sweep_rows(data, None, None, amount="amount", strategy=strategy)[0]
    for curves in (plain, inside):
        assert len(curves) == 1 and curves[0].points.height > 10
        _assert_curve_matches(curves[0].points, rows)

    counts = run_simulation(strategy, data).candidate.metrics.counts
    want = _oracle(rows, 0.5)
    assert counts.bad_amount == pytest.approx(want["bad"])
    assert counts.bad_amount_caught == pytest.approx(want["caught"])
    assert counts.good_amount == pytest.approx(want["good"])
    assert counts.good_amount_impacted == pytest.approx(want["impacted"])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_check_amount_names_the_count_and_first_row(value: float) -> None:
    frame = pl.DataFrame({"amount": [1.0, None, value, 2.0, value, float("nan")]})
    with pytest.raises(DataError) as err:
        check_amount(frame.lazy(), "amount", "d.csv")
    assert "d.csv: amount column 'amount' has 3 NaN or infinite values" in str(err.value)
    assert "(first at data row 3)" in str(err.value) and "null" in err.value.hint
    check_amount(pl.DataFrame({"amount": [1, None, 3]}), "amount", "d.csv")  # integers, nulls


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "1e200", "1.5e308"])
@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--data", "{d}", "--score", "score", "--label", "is_bad", "--amount", "amount"],
        ["sweep", "--data", "{d}", "--strategy", "{s}", "--json"],
        ["simulate", "{s}", "--data", "{d}", "--json"],
        ["check", "{s}", "--data", "{d}"],
    ],
    ids=["sweep", "sweep-strategy", "simulate", "check"],
)
def test_a_nan_or_infinite_amount_is_one_line_and_no_warning(
    command: list[str], value: str, tmp_path: Path
) -> None:
    """The process's own stderr: numpy warnings would reach it, not a test runner's capture."""
    data = tmp_path / "d.csv"
    lines = ["0.9,1,100", "0.8,0,50", "0.1,1,", "0.2,0,10", "0.3,0,20", f"0.95,1,{value}"]
    data.write_text("score,is_bad,amount\n" + "\n".join(lines) + "\n", encoding="utf-8")
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY + "guardrails:\n  max_expected_cost: 1000\n", encoding="utf-8")
    args = [a.format(d=data, s=strategy) for a in command]
    done = subprocess.run(
        [sys.executable, "-W", "default", "-m", "riskctl", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    err = done.stderr.strip().splitlines()
    assert len(err) == 1, done.stderr
    assert "Warning" not in done.stderr
    if value.lstrip("-")[0].isdigit():  # finite, but its square (the intervals') overflows
        assert "d.csv: amount column 'amount' holds amounts too large to add up" in err[0]
        assert "larger unit" in err[0]
    else:
        assert "d.csv: amount column 'amount' has 1 NaN or infinite values" in err[0]
        assert "(first at data row 6)" in err[0]


def test_amounts_below_the_limit_add_up() -> None:
    check_amount(pl.DataFrame({"amount": [1e150, 1e150, None, 5.0]}), "amount", "d.csv")
    with pytest.raises(DataError, match="too large to add up"):
        check_amount(pl.DataFrame({"amount": [1e154] * 3}), "amount", "d.csv")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_negative_amounts_are_refused_everywhere(tmp_path: Path, suffix: str) -> None:
    """Refunds exported as negative amounts would make amount rates over 100% and the
    expected cost negative: they are named instead."""
    df = pl.DataFrame(
        {
            "score": [0.9, 0.1, 0.8, 0.2, 0.3],
            "is_bad": [1, 1, 0, 0, 0],
            "amount": [100.0, -50.0, 30.0, -40.0, 20.0],
        }
    )
    data = tmp_path / f"d.{suffix}"
    df.write_csv(data) if suffix == "csv" else df.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n"
        "label: is_bad\namount: amount\n"
    )
    sweep = ["sweep", "--data", str(data), "--score", "score", "--label", "is_bad"]
    for args in (["simulate", str(strategy), "--data", str(data)], [*sweep, "--amount", "amount"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "amount column 'amount' has 2 negative values (first at data row 2)" in " ".join(
            result.output.split()
        )
