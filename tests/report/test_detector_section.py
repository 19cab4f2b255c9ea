"""The report's detector section: test-slice metrics, intervals, periods and warnings, read
back from the HTML and checked against the manifest."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation


def test_detector_section_matches_the_manifest(
    tmp_path: Path, scored_path: Path, detector, example_strategies: Path
) -> None:
    run = run_simulation(
        example_strategies / "candidate.yaml", scored_path, carry=detector.feature_names
    )
    out = tmp_path / "report.html"
    report_for_run(run, check_guardrails(run), detector, out, command="riskctl report x")
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    section = soup.find(id="detector")
    assert section is not None
    m = detector.manifest["metrics"]
    cells = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in section.select("table.detector-metrics tbody tr")
    }
    assert cells["ROC AUC"][0] == f"{m['roc_auc']:.4f}"
    low, high = (float(x) for x in cells["ROC AUC"][1].split("–"))
    assert (low, high) == pytest.approx(tuple(m["intervals"]["roc_auc"]), abs=5e-5)
    assert cells["Catch rate at 1% FPR"][0] == f"{100 * m['catch_rate_at_fpr']['0.01']:.1f}%"
    periods = section.select("table.detector-periods tbody tr")
    assert len(periods) == len(detector.manifest["periods"])
    first = detector.manifest["periods"][0]
    assert [td.get_text(strip=True) for td in periods[0].find_all("td")][:3] == [
        first["period"],
        f"{first['rows']:,}",
        f"{first['bad']:,}",
    ]
    codes = [li["data-warning"] for li in section.select("li[data-warning]")]
    assert codes == [w["code"] for w in detector.manifest["warnings"]]
