"""The monitor report in a real headless Chromium, opened from file:// with no network."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from bs4 import BeautifulSoup

from riskctl.data.io import write_table
from riskctl.model.detector import Detector
from riskctl.monitor.run import MonitorOptions, run_monitor
from riskctl.report.monitor import write_monitor_report
from riskctl.synth.drift import parse_drift, plant_drift

from .test_browser import browse

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STRATEGY = """\
name: nightly <&>
actions: [review, allow]
thresholds: {review: {score: 0.3}}
label: is_bad
time: event_time
monitoring: {max_psi: 0.25}
"""


@pytest.fixture(scope="module")
def monitor_report(
    history: pl.DataFrame, detector: Detector, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    tmp = tmp_path_factory.mktemp("monitor")
    df = plant_drift(history, [parse_drift("shift:60")], seed=2)
    table = write_table(
        df.filter(pl.col("event_time") >= datetime(2026, 6, 1) + timedelta(days=30)),
        tmp / "t.parquet",
    )
    strategy = tmp / "s.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    options = MonitorOptions(  # rows the detector trained on drift as any other here
        table, None, detector.path, strategy, by=("category",), every="7d", sample=500, rows="all"
    )
    return write_monitor_report(run_monitor(options), tmp / "monitor.html")


def test_report_is_small_offline_and_escaped(monitor_report: Path) -> None:
    html = monitor_report.read_text(encoding="utf-8")
    assert monitor_report.stat().st_size < 5_000_000
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', html)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.h1.get_text() == "Monitor: nightly <&>"  # escaped text, not markup
    rows = soup.select("#drift tbody tr")
    psis = [float(r.select("td")[1].get_text()) for r in rows[1:]]  # the score first
    assert psis == sorted(psis, reverse=True)
    assert rows[1]["data-column"] == "seller_refund_rate_30d"
    assert "crossed" in soup.select_one("#limits").get_text()


def test_charts_draw_without_console_errors(monitor_report: Path, tmp_path: Path) -> None:
    result = browse(monitor_report, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    charts = re.findall(r'id="vis-([a-z-]+)"', dom)
    assert set(charts) == {"alert-series", "score-series", "psi", "waterfall"}
    for name in charts:
        part = dom[dom.index(f'id="vis-{name}"') :]
        part = part[: part.index("</section>")]
        assert "<svg" in part and re.search(r'class="mark-(rect|line|symbol|area)', part), name
    assert not re.search(r'id="vis-[^"]*"[^>]*>Chart failed', dom)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], "\n".join(console)


def test_screenshot(monitor_report: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    artifacts = request.config.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "monitor.png"
    result = browse(monitor_report, tmp_path, "--window-size=1200,2400", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 20_000
