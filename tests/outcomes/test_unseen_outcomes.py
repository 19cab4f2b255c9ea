"""Outcomes production never let happen: the control-group estimate covers the truth, the
naive value is biased the way theory says, and the bounds always hold the truth."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from riskctl.metrics.intervals import Difference
from riskctl.metrics.registry import Counts, row_counts
from riskctl.outcomes.coverage import label_coverage
from riskctl.outcomes.estimates import change_estimates, strategy_estimates
from riskctl.simulation.strategy_metrics import Roles, row_inputs
from riskctl.strategy.decisions import ACTION, FLAGGED
from riskctl.strategy.schema import History, Strategy

SEEDS = 200
ROWS = 40_000
CONTROL = 0.05
STRATEGY = Strategy(name="s", actions=["block", "review", "allow"])
HISTORY = History(decision="prod", control="ctl")
ROLES = Roles("y", history=HISTORY)


def production(seed: int, propensity: bool = False) -> tuple[pl.DataFrame, np.ndarray]:
    """One history: production blocks scores >= 0.8 (no outcome unless in the control
    group); returns the table as recorded and the true labels."""
    rng = np.random.default_rng(seed)
    y = (rng.random(ROWS) < 0.05).astype(np.int8)
    score = np.clip(rng.normal(0.35 + 0.4 * y, 0.17), 0, 1)
    prod = np.where(score >= 0.8, "block", np.where(score >= 0.6, "review", "allow"))
    ctl = rng.random(ROWS) < CONTROL
    seen = (prod != "block") | ctl
    frame = pl.DataFrame(
        {
            "score": score,
            "y": pl.Series(np.where(seen, y, 0), dtype=pl.Int8),
            "prod": prod,
            "ctl": ctl,
            "p": np.where(prod == "block", CONTROL, 1.0),
        }
    ).with_columns(pl.when(pl.Series(seen)).then(pl.col("y")).alias("y"))
    return frame, y


def decided(frame: pl.DataFrame, threshold: float) -> pl.DataFrame:
    flagged = frame["score"] >= threshold
    return frame.with_columns(
        flagged.alias(FLAGGED),
        pl.when(flagged).then(pl.lit("review")).otherwise(pl.lit("allow")).alias(ACTION),
    )


def truth(flagged: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {
        "catch_rate": float(flagged[y == 1].mean()),
        "false_positive_rate": float(flagged[y == 0].mean()),
        "precision": float(y[flagged].mean()),
    }


def summed(rows: Counts) -> Counts:
    return Counts(**{k: float(np.sum(v)) for k, v in rows.to_dict().items() if v is not None})


def three_ways(frame: pl.DataFrame, cov) -> dict:
    rows = row_inputs(frame, ROLES, cov)
    return strategy_estimates(rows, summed(row_counts(rows.flagged, rows.label, None)))


def run_seed(seed: int) -> tuple[dict, dict, dict, dict]:
    """The three ways for a candidate (flags >= 0.7) and its change against a baseline
    (>= 0.75), from the same functions simulate and check call, and the truth."""
    frame, y = production(seed)
    cand, base = decided(frame, 0.7), decided(frame, 0.75)
    cov = label_coverage(cand, "y", pl.Series([True] * ROWS), HISTORY)
    rc, rb = row_inputs(cand, ROLES, cov), row_inputs(base, ROLES, cov)
    ways_c = strategy_estimates(rc, summed(row_counts(rc.flagged, rc.label, None)))
    ways_b = strategy_estimates(rb, summed(row_counts(rb.flagged, rb.label, None)))
    naive = {k: Difference(ways_c[k].naive.value - ways_b[k].naive.value, 0, 0) for k in ways_c}
    change = change_estimates(rb, rc, naive, ways_b, ways_c)
    t_cand = truth(rc.flagged, y)
    t_base = truth(rb.flagged, y)
    return ways_c, change, t_cand, {k: t_cand[k] - t_base[k] for k in t_cand}


@pytest.fixture(scope="module")
def seeds() -> list[tuple[dict, dict, dict, dict]]:
    return [run_seed(seed) for seed in range(SEEDS)]


@pytest.mark.parametrize("key", ["catch_rate", "false_positive_rate", "precision"])
def test_the_estimate_interval_covers_the_truth(seeds, key) -> None:
    covered = [
        ways[key].estimate.low <= t[key] <= ways[key].estimate.high for ways, _, t, _ in seeds
    ]
    assert np.mean(covered) >= 0.93, np.mean(covered)


@pytest.mark.parametrize("key", ["catch_rate", "false_positive_rate"])
def test_the_paired_change_estimate_covers_the_true_change(seeds, key) -> None:
    covered = [
        ways[key].estimate.low <= t[key] <= ways[key].estimate.high for _, ways, _, t in seeds
    ]
    assert np.mean(covered) >= 0.93, np.mean(covered)


@pytest.mark.parametrize("key", ["catch_rate", "false_positive_rate"])
def test_naive_is_biased_low_when_the_candidate_flags_what_production_blocked(seeds, key) -> None:
    # the candidate (>= 0.7) flags every row production blocked (>= 0.8): those rows' outcomes
    # are hidden, so flagged bad (good) rows drop out of numerator and denominator alike,
    # and flagged / all falls below the truth
    gaps = np.array([ways[key].naive.value - t[key] for ways, _, t, _ in seeds])
    assert (gaps < 0).mean() >= 0.99
    errors = np.array([ways[key].estimate.value - t[key] for ways, _, t, _ in seeds])
    assert abs(errors.mean()) < abs(gaps.mean()) / 5  # the estimate is (nearly) unbiased


def test_bounds_always_contain_the_truth(seeds) -> None:
    for ways, change, t, dt in seeds:
        for key in ("catch_rate", "false_positive_rate", "precision"):
            assert ways[key].low - 1e-12 <= t[key] <= ways[key].high + 1e-12
        for key in ("catch_rate", "false_positive_rate", "precision"):
            assert change[key].low - 1e-12 <= dt[key] <= change[key].high + 1e-12


def test_a_propensity_column_gives_the_same_estimate_as_the_control_share() -> None:
    frame, _ = production(3)
    cand = decided(frame, 0.7)
    keep = pl.Series([True] * ROWS)
    from_share = label_coverage(cand, "y", keep, HISTORY)
    given = label_coverage(cand, "y", keep, History(decision="prod", control="ctl", propensity="p"))
    a = three_ways(cand, from_share)["catch_rate"]
    b = three_ways(cand, given)["catch_rate"]
    share = from_share.weight[from_share.weight > 1][0]
    assert b.estimate.value == pytest.approx(a.estimate.value, abs=0.05)
    assert given.weight[given.weight > 1][0] == pytest.approx(1 / CONTROL)
    assert share == pytest.approx(1 / CONTROL, rel=0.2)


def test_bounds_equal_brute_force_over_every_unseen_outcome() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = 12
        label = rng.integers(0, 2, n).astype(float)
        unseen = rng.random(n) < 0.4
        label[unseen] = np.nan
        flagged = rng.random(n) < 0.5
        frame = pl.DataFrame(
            {
                "y": pl.Series(
                    [None if u else int(v) for u, v in zip(unseen, label, strict=True)],
                    dtype=pl.Int8,
                ),
                FLAGGED: flagged,
                ACTION: np.where(flagged, "review", "allow"),
            }
        )
        cov = label_coverage(frame, "y", pl.Series([True] * n), None)
        estimates = three_ways(frame, cov) if unseen.any() else {}
        found: dict[str, list[float]] = {
            k: [] for k in ("catch_rate", "false_positive_rate", "precision")
        }
        idx = np.flatnonzero(unseen)
        for guess in itertools.product([0.0, 1.0], repeat=len(idx)):
            full = label.copy()
            full[idx] = guess
            c = row_counts(flagged, full, None)
            for key, (num, den) in {
                "catch_rate": ("flagged_bad", "bad"),
                "false_positive_rate": ("flagged_good", "good"),
                "precision": ("flagged_bad", "flagged_labelled"),
            }.items():
                d = getattr(c, den).sum()
                if d > 0:
                    found[key].append(getattr(c, num).sum() / d)
        for key, values in found.items():
            if values and key in estimates:
                ways = estimates[key]
                assert ways.low == pytest.approx(min(values)) and ways.high == pytest.approx(
                    max(values)
                )
