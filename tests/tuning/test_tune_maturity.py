"""Label maturity in tuning slices: every slice (tuning rows, held-out rows, a --by value's
rows) counts a label's age from the newest row of the whole data, checked against a
row-by-row oracle that splits, matures and searches every threshold in plain Python."""

import itertools
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.simulation.cells import maturity_cutoff
from riskctl.simulation.roles import Roles
from riskctl.simulation.simulate import run_simulation
from riskctl.simulation.strategy_metrics import matured
from riskctl.tuning.thresholds import Target, anchored
from riskctl.tuning.tune import tune_run

DAY_US = 86_400_000_000
STRATEGY = """name: m
actions: [review, allow]
thresholds:
  review: {{score: 0.5}}
label: is_bad
time: event_time
label_maturity_days: {days}
"""


@dataclass(frozen=True)
class Case:
    strategy: Path
    data: Path
    df: pl.DataFrame  # with `_us`: the event time as UTC microseconds
    days: float


def write_case(
    folder: Path, seed: int, n: int, span_days: int, days: float, dtype: str = "us", decimals=3
) -> Case:
    rng = np.random.default_rng(seed)
    minutes = rng.choice(span_days * 1440, n, replace=False)  # distinct times
    y = (rng.random(n) < 0.09).astype(np.int64)
    score = np.round(np.clip(rng.random(n) * 0.75 + y * 0.25, 0, 1), decimals)
    start = 1_767_225_600_000_000  # 2026-01-01 UTC, in microseconds
    us = start + minutes.astype(np.int64) * 60_000_000
    time = pl.Series("event_time", us).cast(pl.Datetime("us"))
    if dtype == "ns":
        time = time.cast(pl.Datetime("ns"))
    elif dtype == "tz":
        time = time.dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai")
    df = pl.DataFrame(
        {
            "score": score,
            "is_bad": y,
            "event_time": time,
            "region": rng.choice(["eu", "us", "apac"], n),
        }
    )
    data, strategy = folder / "d.parquet", folder / "s.yaml"
    df.write_parquet(data)
    strategy.write_text(STRATEGY.format(days=days))
    return Case(strategy, data, df.with_columns(_us=pl.Series(us)), days)


def split(case: Case, fraction: float) -> tuple[list[dict], list[dict], int]:
    """The earliest rows (tuned on), the latest `fraction` (held out), and the newest time
    whose label has matured, against the newest row of the whole data."""
    rows = sorted(case.df.to_dicts(), key=lambda r: r["_us"])
    k = max(1, int(round(len(rows) * fraction)))
    cutoff = max(r["_us"] for r in rows) - int(case.days * DAY_US)
    return rows[: len(rows) - k], rows[len(rows) - k :], cutoff


def oracle(rows: list[dict], cutoff: int, target: Target) -> tuple[float, float] | None:
    """(threshold, catch rate) of the best threshold, trying every distinct score."""
    mature = [(r["score"], r["is_bad"]) for r in rows if r["_us"] <= cutoff]
    bad = sum(y for _, y in mature)
    good = len(mature) - bad
    v = target.value or 0.0
    best = None
    for t in [math.inf, *sorted({r["score"] for r in rows}, reverse=True)]:
        fb = sum(1 for s, y in mature if s >= t and y == 1)
        fg = sum(1 for s, y in mature if s >= t and y == 0)
        catch, fpr = fb / bad, fg / good
        if target.kind == "max_fpr":
            ok, objective = fpr <= v + 1e-12, catch
        elif target.kind == "min_catch_rate":
            ok, objective = catch >= v - 1e-12, -fpr
        else:  # min_precision
            ok, objective = fb + fg > 0 and fb / (fb + fg) >= v - 1e-12, catch
        if ok and (best is None or objective > best[0]):  # ties: the highest threshold
            best = (objective, t, catch)
    return None if best is None else (best[1], best[2])


def test_the_tuning_slice_uses_every_label_matured_in_the_data(tmp_path: Path) -> None:
    # 3,000 rows over 60 days, labels mature in 10: the earliest 70% are all 18+ days older
    # than the newest row, so every one of their labels counts
    case = write_case(tmp_path, seed=5, n=3_000, span_days=60, days=10)
    tuning, held, cutoff = split(case, 0.3)
    assert all(r["_us"] <= cutoff for r in tuning)
    out = tmp_path / "t.yaml"
    args = ["tune", str(case.strategy), "--data", str(case.data), "--max-fpr", "0.02"]
    result = CliRunner().invoke(app, [*args, "--holdout", "0.3", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    bad = sum(r["is_bad"] for r in tuning)
    assert (report["before"]["bad"], report["before"]["good"]) == (bad, 2_100 - bad)
    assert report["before"]["immature"] == 0 and report["after"]["immature"] == 0
    held_immature = sum(r["_us"] > cutoff for r in held)
    assert 0 < held_immature == report["holdout"]["before"]["immature"]
    threshold, catch = oracle(tuning, cutoff, Target("max_fpr", 0.02))
    assert report["threshold"]["after"] == threshold
    assert report["after"]["catch_rate"] == pytest.approx(catch)
    run = run_simulation(case.strategy, case.data)
    for value in (0.1, 0.2):
        tuned = tune_run(run, Target("max_fpr", value), holdout=0.3)
        assert tuned.after == oracle(tuning, cutoff, Target("max_fpr", value))[0]


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(60, 220),
    span=st.integers(4, 40),
    quarter_days=st.integers(1, 60),
    fraction=st.sampled_from([0.1, 0.2, 0.3, 0.5]),
    dtype=st.sampled_from(["us", "ns", "tz"]),
    target=st.sampled_from(
        [
            Target("max_fpr", 0.05),
            Target("max_fpr", 0.2),
            Target("min_catch_rate", 0.6),
            Target("min_precision", 0.3),
        ]
    ),
)
def test_holdout_tuning_equals_brute_force_with_maturity_from_the_whole_data(
    seed: int, n: int, span: int, quarter_days: int, fraction: float, dtype: str, target: Target
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        case = write_case(Path(folder), seed, n, span, quarter_days / 4, dtype, decimals=2)
        tuning, _, cutoff = split(case, fraction)
        mature = [r["is_bad"] for r in tuning if r["_us"] <= cutoff]
        if not 0 < sum(mature) < len(mature):
            return  # no bad or no good matured row: no rate to tune on
        result = tune_run(run_simulation(case.strategy, case.data), target, holdout=fraction)
    expected = oracle(tuning, cutoff, target)
    counts = result.before_metrics.counts
    assert counts.immature == sum(r["_us"] > cutoff for r in tuning)
    assert (counts.bad, counts.good) == (sum(mature), len(mature) - sum(mature))
    assert result.met == (expected is not None)
    if expected is not None:
        assert result.after == expected[0]
        assert result.after_metrics.catch_rate.value == pytest.approx(expected[1])


def by_oracle(rows: list[dict], cutoff: int, v: float) -> float:
    """The best catch rate of any per-region thresholds with a false-positive rate <= v."""
    mature = [r for r in rows if r["_us"] <= cutoff]
    bad = sum(r["is_bad"] for r in mature)
    good = len(mature) - bad
    options = []  # per region: (flagged bad, flagged good) at each threshold
    for region in sorted({r["region"] for r in rows}):
        scores = sorted({r["score"] for r in rows if r["region"] == region}, reverse=True)
        mine = [r for r in mature if r["region"] == region]
        options.append(
            [
                (
                    sum(r["score"] >= t and r["is_bad"] == 1 for r in mine),
                    sum(r["score"] >= t and r["is_bad"] == 0 for r in mine),
                )
                for t in [math.inf, *scores]
            ]
        )
    best = 0.0
    for combo in itertools.product(*options):
        if sum(g for _, g in combo) <= v * good + 1e-9:
            best = max(best, sum(b for b, _ in combo) / bad)
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_by_tunes_each_value_on_labels_matured_in_the_whole_data(tmp_path: Path, seed: int) -> None:
    # 40 days, the latest 20% (8 days) held out, labels mature in 12: against the whole
    # data only the tuning rows of the last 4 days are immature (12 against the slice)
    case = write_case(tmp_path, seed, n=240, span_days=40, days=12, decimals=1)
    tuning, _, cutoff = split(case, 0.2)
    run = run_simulation(case.strategy, case.data, by=["region"])
    result = tune_run(run, Target("max_fpr", 0.1), holdout=0.2, by="region")
    immature = sum(r["_us"] > cutoff for r in tuning)
    assert 0 < immature == result.before_metrics.counts.immature
    assert result.met and set(result.segments) == {"apac", "eu", "us"}
    assert result.after_metrics.catch_rate.value == pytest.approx(by_oracle(tuning, cutoff, 0.1))
    assert result.after_metrics.false_positive_rate.value <= 0.1 + 1e-12


@pytest.mark.parametrize("dtype", ["date", "ms", "ns", "tz"])
@pytest.mark.parametrize("days", [0.5, 3, 10.25])
def test_a_slice_anchored_on_the_whole_data_gets_the_whole_data_cutoff(
    dtype: str, days: float
) -> None:
    start, end = pl.datetime(2026, 3, 1), pl.datetime(2026, 3, 31, 23)
    base = pl.select(  # every 7 hours, with a sub-microsecond part
        pl.datetime_range(start, end, "7h", time_unit="ns") + pl.duration(nanoseconds=123_456_789)
    ).to_series()
    time = {
        "date": base.dt.date(),
        "ms": base.cast(pl.Datetime("ms")),
        "ns": base,
        "tz": base.dt.replace_time_zone("America/New_York"),
    }[dtype]
    whole = pl.DataFrame({"t": time, "y": [0] * len(time)})
    roles = Roles("y", "t")
    early = whole.head(whole.height // 2)
    anchored_roles = anchored(whole, roles)
    expected = maturity_cutoff(whole.lazy(), roles, days)
    assert maturity_cutoff(early.lazy(), anchored_roles, days) == expected
    assert maturity_cutoff(early.lazy(), roles, days) != expected  # the slice's own newest row
    assert matured(early, anchored_roles, days).to_list() == (early["t"] <= expected).to_list()
    assert anchored(early, anchored_roles) is anchored_roles  # a slice keeps the whole's
