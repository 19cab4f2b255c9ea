"""Rule table, warnings, segments and days against plain row-by-row counts."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.simulation.simulate import run_simulation

STRATEGY = """name: t
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.7}
segments:
  - {name: new, when: "age < 7", thresholds: {review: {score: 0.5}}}
  - {name: never, when: "age > 1000", thresholds: {review: {score: 0.1}}}
rules:
  - {name: big, when: "amount > 900", action: review}
  - {name: farm, when: "devices >= 5 AND amount > 20", action: block}
  - {name: nothing, when: "amount > 5000", action: block}
  - {name: covered, when: "score >= 0.95", action: review}
  - {name: watch, when: "amount > 500", action: block, mode: shadow}
label: y
time: t
amount: amount
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 3_000
    y = (rng.random(n) < 0.1).astype(np.int8)
    df = pl.DataFrame(
        {
            "score": np.round(np.clip(rng.random(n) * 0.8 + y * 0.25, 0, 1), 3),
            "age": rng.integers(0, 60, n),
            "amount": np.round(rng.random(n) * 1000, 2),
            "devices": rng.integers(1, 8, n),
            "y": y,
            "region": rng.choice(["eu", "us"], n),
            "t": pl.datetime_range(
                pl.datetime(2026, 1, 1),
                pl.datetime(2026, 1, 1) + pl.duration(minutes=20 * (n - 1)),
                "20m",
                eager=True,
            ),
        }
    )
    path = tmp_path / "d.parquet"
    df.write_parquet(path)
    return path


@pytest.fixture
def run(tmp_path: Path, data: Path):
    path = tmp_path / "s.yaml"
    path.write_text(STRATEGY)
    return run_simulation(path, data, by=["segment", "region"])


def test_rule_table_equals_row_by_row(run, data) -> None:
    df = pl.read_parquet(data).to_dicts()
    fires = {
        "big": [r["amount"] > 900 for r in df],
        "farm": [r["devices"] >= 5 and r["amount"] > 20 for r in df],
        "nothing": [r["amount"] > 5000 for r in df],
        "covered": [r["score"] >= 0.95 for r in df],
        "watch": [r["amount"] > 500 for r in df],
    }
    review_t = [0.5 if r["age"] < 7 else 0.7 for r in df]
    thresholds = [r["score"] >= rt or r["score"] >= 0.9 for r, rt in zip(df, review_t, strict=True)]
    flagged = run.candidate.decisions["flagged"].to_list()
    stats = {r.name: r for r in run.candidate.rules}
    for name, hits in fires.items():
        bad = [h and r["y"] == 1 for h, r in zip(hits, df, strict=True)]
        s = stats[name]
        assert (s.hits, s.bad_hits) == (sum(hits), sum(bad)), name
        others = [name2 for name2 in ("big", "farm", "nothing", "covered") if name2 != name]
        if name == "watch":
            alone = [h and not f for h, f in zip(hits, flagged, strict=True)]
        else:
            alone = [
                h and not t and not any(fires[o][i] for o in others)
                for i, (h, t) in enumerate(zip(hits, thresholds, strict=True))
            ]
        assert s.incremental_bad == sum(
            a and r["y"] == 1 for a, r in zip(alone, df, strict=True)
        ), name
        for other, hits2 in fires.items():
            if other != name:
                assert s.overlap.get(other, 0) == sum(
                    a and b for a, b in zip(hits, hits2, strict=True)
                )
    assert stats["watch"].mode == "shadow"


def test_warnings_say_where(run, tmp_path: Path) -> None:
    messages = [str(w).replace(f"{tmp_path}/", "") for w in run.candidate.warnings]
    assert messages == [
        "s.yaml:12: rule 'nothing': never fires on this data",
        "s.yaml:13: rule 'covered': changes no decision: every row it fires on is already "
        "flagged at least as severely ('review') by other rules or thresholds",
        "s.yaml:8: segment 'never': no row falls in it",
    ]


def test_segments_and_days_add_up(run) -> None:
    m = run.candidate.metrics
    for column in ("segment", "region"):
        groups = run.candidate.by[column]
        assert sum(g.rows for g in groups.values()) == m.rows
        assert sum(g.flagged_bad for g in groups.values()) == m.flagged_bad
    assert set(run.candidate.by["segment"]) == {"(none)", "new"}
    daily = run.candidate.daily
    assert daily["rows"].sum() == m.rows and daily["flagged"].sum() == m.flagged
    assert daily.height == m.days


def test_by_lists_values_whose_labels_have_not_matured(tmp_path: Path) -> None:
    """Alert rate and review load count every row: a value whose rows are all too recent
    for their label still has its breakdown (label metrics n/a), and the parts add up."""
    start = dt.datetime(2026, 1, 1)
    df = pl.DataFrame(
        {
            "score": [0.9, 0.1, 0.95, 0.97, 0.2],
            "y": pl.Series([1, 0, 1, 0, 0], dtype=pl.Int8),
            "country": ["US", "US", "FR", "FR", "FR"],
            "t": [start + dt.timedelta(days=d) for d in (1, 2, 60, 61, 62)],
        }
    )
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n"
        "segments:\n  - {name: france, when: \"country = 'FR'\", thresholds: {}}\n"
        "label: y\ntime: t\nlabel_maturity_days: 30\n"
    )
    run = run_simulation(strategy, data, by=["country", "segment"])
    by = run.candidate.by
    assert set(by["country"]) == {"US", "FR"} and set(by["segment"]) == {"(none)", "france"}
    fr = by["country"]["FR"]
    assert (fr.rows, fr.flagged, fr.catch_rate.n) == (3, 2, 0)
    assert by["segment"]["france"].rows == 3
    assert sum(m.rows for m in by["country"].values()) == run.candidate.metrics.rows


def _channels(tmp_path: Path) -> Path:
    """Rows with the channel `(none)` (web analytics' direct traffic) and rows with none."""
    df = pl.DataFrame(
        {
            "score": [0.9, 0.8, 0.1, 0.2, 0.3, 0.95],
            "y": pl.Series([1, 0, 1, 0, 0, 1], dtype=pl.Int8),
            "channel": ["(none)", "(none)", None, None, None, "web"],
        }
    )
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    return data


def test_by_keeps_missing_apart_from_a_value_spelled_none(tmp_path: Path) -> None:
    data = _channels(tmp_path)
    strategy = tmp_path / "s.yaml"
    strategy.write_text("name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n")
    by = run_simulation(strategy, data, label="y", by=["channel"]).candidate.by["channel"]
    assert {k: (m.rows, m.flagged) for k, m in by.items()} == {
        "(none)": (2, 2),
        "(missing)": (3, 0),
        "web": (1, 1),
    }


def test_review_load_of_each_value_is_per_day_of_the_history(tmp_path: Path) -> None:
    """A value with one review in a ten-day history reviews 0.1 a day, not 1: the values'
    loads add up to the total."""
    start = dt.datetime(2026, 1, 1)
    times = [start + dt.timedelta(days=d) for d in range(10)] + [start]
    df = pl.DataFrame(
        {
            "score": [0.9] * 11,
            "y": pl.Series([0] * 11, dtype=pl.Int8),
            "country": ["US"] * 10 + ["FR"],
            "t": times,
        }
    )
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\nlabel: y\ntime: t\n"
    )
    run = run_simulation(strategy, data, by=["country"])
    total = run.candidate.metrics.review_per_day
    by = {k: m.review_per_day for k, m in run.candidate.by["country"].items()}
    assert total == pytest.approx(1.1) and by == pytest.approx({"FR": 0.1, "US": 1.0})


def test_sweep_by_keeps_missing_apart_from_a_value_spelled_none(tmp_path: Path) -> None:
    data = _channels(tmp_path)
    args = ["sweep", "--data", str(data), "--score", "score", "--label", "y", "--by", "channel"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    curves = json.loads(result.stdout)["curves"]
    assert {c["segment"]: c["rows"] for c in curves} == {"(none)": 2, "(missing)": 3, "web": 1}


def test_odd_inputs_are_one_line_or_work(tmp_path: Path) -> None:
    """Text 0/1 labels and a struct amount are bad input (exit 2, never an internal
    error); a capacity with no review that day and a repeated --by just work."""
    base = pl.DataFrame({"score": [0.1, 0.2], "y": [0, 1], "amount": [1.0, 2.0], "g": ["a", "b"]})
    base = base.with_columns(t=pl.datetime(2026, 1, 1))
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: s\nactions: [review, allow]\nthresholds: {review: {score: 0.9}}\n"
        "label: y\ntime: t\nreview_capacity_per_day: 2.5\n"
    )
    cases = {
        "text": (base.with_columns(pl.col("y").cast(pl.String)), [], 2, "holds 0 and 1 as text"),
        "struct": (
            base.with_columns(amount=pl.struct("amount")),
            ["--amount", "amount"],
            2,
            "Struct",
        ),
        "capacity": (base, [], 0, "peak 0, capacity 2.5"),
        "by": (base, ["--by", "g", "--by", "g"], 0, "By g"),
    }
    for name, (df, extra, code, text) in cases.items():
        data = tmp_path / f"{name}.parquet"
        df.write_parquet(data)
        result = CliRunner().invoke(app, ["simulate", str(strategy), "--data", str(data), *extra])
        assert result.exit_code == code, (name, result.output)
        assert text in " ".join(result.output.split()), (name, result.output)
