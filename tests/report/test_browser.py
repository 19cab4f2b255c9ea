"""The demo report in a real headless Chromium, opened from file:// with no network."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip(
        "no chromium on PATH: scripts/test.sh installs Debian's chromium when run as "
        "root with apt-get; elsewhere install it to run this test"
    )


@pytest.fixture(scope="module")
def report(scored_path: Path, example_strategies: Path, detector, tmp_path_factory) -> Path:
    run = run_simulation(
        example_strategies / "candidate.yaml",
        scored_path,
        baseline=example_strategies / "baseline.yaml",
        carry=detector.feature_names,
    )
    out = tmp_path_factory.mktemp("browser") / "report.html"
    return report_for_run(run, check_guardrails(run), detector, out, command="riskctl report")


def browse(report: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_charts_draw_without_console_errors(report: Path, tmp_path: Path) -> None:
    result = browse(report, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    chart = dom[dom.index('id="vis-tradeoff"') :]
    chart = chart[: chart.index("</section>")]
    assert "<svg" in chart, "the trade-off chart drew no SVG"
    assert re.search(r'class="mark-line[^"]*"', chart), "no curve drawn"
    assert re.search(r'class="mark-symbol[^"]*"', chart), "no operating points drawn"
    assert not re.search(r'id="vis-[^"]*"[^>]*>Chart failed', dom)
    charts = re.findall(r'id="vis-([a-z-]+)"', dom)
    assert set(charts) == {"tradeoff", "scores", "importance", "beeswarm"}
    for name in charts:
        part = dom[dom.index(f'id="vis-{name}"') :]
        part = part[: part.index("</section>")]
        assert "<svg" in part and re.search(r'class="mark-(rect|line|symbol)', part), name
    assert len(re.findall(r'class="mark-symbol', chart)) >= 1
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], "\n".join(console)


def test_screenshot(report: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    artifacts = request.config.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    result = browse(report, tmp_path, "--window-size=1200,2400", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 20_000  # a blank page is a few kB


def test_prints_to_pdf(report: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    pdf = request.config.rootpath / "test-artifacts" / "report.pdf"
    pdf.parent.mkdir(exist_ok=True)
    result = browse(report, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") >= 2
