"""Peak review load: the busiest day and the days over capacity, which a mean per day hides.

The history has 20 days of 100 rows; on 17 days 10 rows reach the review threshold, on 3
days 60 do. Mean load 17.5 a day sits well under a capacity of 40, while the peak is 60 and
3 days are over capacity."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.simulation.simulate import run_simulation

runner = CliRunner()

BURST_DAYS = {4, 11, 12}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    start = datetime(2024, 3, 1)
    rows = []
    for day in range(20):
        reviewed = 60 if day in BURST_DAYS else 10
        for i in range(100):
            score = 0.9 if i < reviewed else 0.1
            rows.append(
                {
                    "score": score,
                    "is_bad": int(i % 7 == 0),
                    "event_time": start + timedelta(days=day, minutes=7 * i),
                }
            )
    path = tmp_path_factory.mktemp("peak") / "d.parquet"
    pl.DataFrame(rows).write_parquet(path)
    return path


def strategy(tmp_path: Path, guardrails: str, capacity: str = "40", time: str = "event_time"):
    text = (
        "name: peaky\nactions: [review, allow]\nthresholds: {review: {score: 0.5}}\n"
        "label: is_bad\n"
        + (f"time: {time}\n" if time else "")
        + (f"review_capacity_per_day: {capacity}\n" if capacity else "")
        + f"guardrails: {{{guardrails}}}\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def check(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["check", *map(str, args)])
    return result.exit_code, result.output


def test_peak_and_days_over_capacity_match_a_count_by_hand(tmp_path: Path, data: Path) -> None:
    run = run_simulation(strategy(tmp_path, "max_review_per_day: 40"), data)
    m = run.candidate.metrics
    frame = pl.read_parquet(data).filter(pl.col("score") >= 0.5)
    per_day = frame.group_by(pl.col("event_time").dt.date()).len()["len"]
    assert m.review_per_day == pytest.approx(per_day.sum() / 20)  # 17.5, the mean
    assert m["review_peak_per_day"] == per_day.max() == 60
    assert m["days_over_capacity"] == int((per_day > 40).sum()) == len(BURST_DAYS)
    # the same facts as the daily series
    assert m["days_over_capacity"] == int(run.candidate.daily["over_capacity"].sum())
    assert m.review_per_day_peak == 60


@pytest.mark.parametrize(
    ("rails", "code", "failing"),
    [
        ("max_review_per_day: 40", 0, []),  # the mean holds: the case the peak guardrails catch
        ("max_review_per_day: 40, max_review_peak_per_day: 40", 1, ["max_review_peak_per_day"]),
        ("max_review_peak_per_day: 60", 0, []),
        ("max_days_over_capacity: 2", 1, ["max_days_over_capacity"]),
        ("max_days_over_capacity: 3", 0, []),
        (
            "max_review_peak_per_day: 59, max_days_over_capacity: 0",
            1,
            ["max_review_peak_per_day", "max_days_over_capacity"],
        ),
    ],
)
def test_check_judges_the_peak_guardrails(
    tmp_path: Path, data: Path, rails: str, code: int, failing: list[str]
) -> None:
    got, text = check(strategy(tmp_path, rails), "--data", data, "--json")
    assert got == code, text
    results = json.loads(text)["guardrails"]
    assert sorted(r["name"] for r in results if not r["passed"]) == sorted(failing)
    by = {r["name"]: r for r in results}
    if "max_review_peak_per_day" in by:
        assert by["max_review_peak_per_day"]["value"] == 60
        assert by["max_review_peak_per_day"]["id"] == "G006"
    if "max_days_over_capacity" in by:
        assert by["max_days_over_capacity"]["value"] == 3
        assert by["max_days_over_capacity"]["id"] == "G007"


@pytest.mark.parametrize(
    ("capacity", "time", "words"),
    [
        ("", "event_time", "needs `review_capacity_per_day:` in the strategy"),
        ("40", "", "needs a time column"),
    ],
)
def test_days_over_capacity_says_what_it_needs(
    tmp_path: Path, data: Path, capacity: str, time: str, words: str
) -> None:
    path = strategy(tmp_path, "max_days_over_capacity: 1", capacity=capacity, time=time)
    run = run_simulation(path, data)
    (result,) = check_guardrails(run)
    assert not result.passed and words in result.message


def test_simulate_and_check_show_the_peak_beside_the_mean(tmp_path: Path, data: Path) -> None:
    path = strategy(tmp_path, "max_review_peak_per_day: 40")
    result = runner.invoke(app, ["simulate", str(path), "--data", str(data)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    lines = result.output.splitlines()
    mean = next(i for i, line in enumerate(lines) if "Review load per day" in line)
    assert "Peak review load per day" in lines[mean + 1] and "60" in lines[mean + 1]
    assert "Days over review capacity" in lines[mean + 2] and "3" in lines[mean + 2]
    assert "peak 60" in text
    code, out = check(path, "--data", data)
    assert code == 1 and "max_review_peak_per_day: 60.0 vs max 40.0" in " ".join(out.split())


def test_simulate_json_carries_the_peak_metrics(tmp_path: Path, data: Path) -> None:
    path = strategy(tmp_path, "")
    result = runner.invoke(app, ["simulate", str(path), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["candidate"]["metrics"]
    assert metrics["review_peak_per_day"] == 60
    assert metrics["days_over_capacity"] == 3


def test_the_report_shows_the_peak_beside_the_mean(tmp_path: Path, data: Path) -> None:
    from riskctl.report.build import report_for_run

    run = run_simulation(strategy(tmp_path, "max_days_over_capacity: 2"), data)
    html = report_for_run(run, check_guardrails(run), None, tmp_path / "r.html", "x").read_text()
    keys = re.findall(r'<tr data-metric="([a-z_]+)">', html)
    at = keys.index("review_per_day")
    assert keys[at : at + 3] == ["review_per_day", "review_peak_per_day", "days_over_capacity"]
    row = html[html.index('<tr data-metric="days_over_capacity">') :]
    assert re.search(r'<td class="num">3</td>', row[: row.index("</tr>")])
    assert 'data-guardrail="max_days_over_capacity"' in html
    card = html[html.index('data-card="review_peak_per_day"') :][:300]
    assert "60.0" in card and "capacity 40" in card
