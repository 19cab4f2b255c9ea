"""The report's layout in a real headless Chromium: every chart's box ends where its drawing
ends (no empty band under a chart), each segment column has one section, the swap examples
say score, deciding rule and top reason, and the glossary is there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation

from .test_browser import browse

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# after the charts are drawn, the page writes each chart box's height and its drawing's
# height into the DOM, where --dump-dom reads them
MEASURE = """
<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var out = [];
    document.querySelectorAll("div.chart").forEach(function (box) {
      var svg = box.querySelector("svg");
      var section = box.closest("section");
      var last = section.lastElementChild;
      out.push({
        id: box.id,
        box: box.getBoundingClientRect().height,
        drawn: svg ? svg.getBoundingClientRect().height : -1,
        section_bottom: section.getBoundingClientRect().bottom,
        content_bottom: Math.max.apply(null, Array.prototype.map.call(
          section.children, function (e) {
            var hidden = e.tagName === "SCRIPT" || e.tagName === "NOSCRIPT";
            return hidden ? 0 : e.getBoundingClientRect().bottom;
          })),
      });
    });
    var pre = document.createElement("pre");
    pre.id = "measured";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 3000);
});
</script>
"""


@pytest.fixture(scope="module")
def report(scored_path: Path, example_strategies: Path, detector, tmp_path_factory) -> Path:
    run = run_simulation(
        example_strategies / "candidate.yaml",
        scored_path,
        baseline=example_strategies / "baseline.yaml",
        by=["segment"],
        carry=detector.feature_names,
    )
    out = tmp_path_factory.mktemp("layout") / "report.html"
    return report_for_run(run, check_guardrails(run), detector, out, command="riskctl report")


def measured(report: Path, tmp_path: Path) -> tuple[str, list[dict]]:
    page = tmp_path / "measured.html"
    head, body, tail = report.read_text().rpartition("</body>")  # the bundle has one too
    page.write_text(head + MEASURE + body + tail)
    result = browse(page, tmp_path, "--window-size=1200,2400", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', result.stdout, re.S)
    assert found, "the page did not measure its charts"
    return result.stdout, json.loads(found.group(1).replace("&quot;", '"'))


def test_no_empty_space_under_charts(report: Path, tmp_path: Path) -> None:
    _, boxes = measured(report, tmp_path)
    ids = {b["id"] for b in boxes}
    assert {"vis-tradeoff", "vis-scores", "vis-by-segment"} <= ids
    for b in boxes:
        assert b["drawn"] > 50, b  # drawn
        assert b["box"] - b["drawn"] <= 12, b  # the box ends where the drawing ends
        # nor does the card leave a band under its last element
        assert b["section_bottom"] - b["content_bottom"] <= 30, b


def test_one_section_per_segment_column(report: Path) -> None:
    html = report.read_text()
    assert len(re.findall(r"<h2>By segment</h2>", html)) == 1
    assert html.count('id="vis-by-segment"') == 1
    section = html[html.index('id="segments-segment"') :]
    section = section[: section.index("</section>")]
    assert 'id="vis-by-segment"' in section and "<table>" in section


def test_swap_examples_show_score_rule_and_reason(report: Path) -> None:
    html = report.read_text()
    section = html[html.index('<section id="examples">') :]
    section = section[: section.index("</section>")]
    assert "<th>Score</th><th>Decided by</th><th>Top reason</th>" in section
    rows = re.findall(r'<tr data-example="[^"]*">(.*?)</tr>', section)
    assert rows
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert re.fullmatch(r"0\.\d{4}|1\.0000", cells[3]), cells
        assert cells[4] and cells[5], cells
        rule = {"promo_farm", "gift_card_burst"}  # the candidate's acting rules
        threshold = re.fullmatch(r"(\w+): score &gt;= ([\d.]+)( \(\w+\))?", cells[4])
        assert cells[4] in rule or threshold, cells
        if threshold:  # the row's score reaches the threshold that decided it
            assert float(cells[3]) >= float(threshold.group(2)), cells


def test_glossary_for_managers(report: Path) -> None:
    html = report.read_text()
    section = html[html.index('<section id="glossary">') :]
    section = section[: section.index("</section>")]
    terms = re.findall(r"<dt>(.*?)</dt>", section)
    for word in (
        "Catch rate",
        "False-positive rate",
        "Precision",
        "Alert rate",
        "Review load",
        "Swap set",
        "Interval",
    ):
        assert any(t.startswith(word) for t in terms), word
