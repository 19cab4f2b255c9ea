"""`riskctl rules suggest --report` in a real headless Chromium: the "Suggested rules" section
is drawn, its title names the suggestions, every number it shows is the one `--json` gives
for the same run (exactly, in the cells' data attributes, and as the text shown), and data
text (a category value inside a condition, an attack name) stays text."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.numbers import fmt_count, fmt_interval, fmt_points_interval

from .test_browser import browse

sys.path.insert(0, str(Path(__file__).parents[1] / "rules"))
from rule_histories import random_history, random_strategy  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "gift<i>cards</i>"  # a category value that is markup
ATTACK = "<b>promo abuse</b>"

# after load, the page writes what the browser made of the section into the DOM
READ = """
<script>
window.addEventListener("load", function () {
  var s = document.getElementById("suggested");
  var cells = function (tr) {
    return Array.prototype.map.call(tr.children, function (td) {
      return {text: td.textContent, data: Object.assign({}, td.dataset)};
    });
  };
  var out = {
    title: document.title,
    h1: document.querySelector("h1").textContent,
    height: s.getBoundingClientRect().height,
    first: document.querySelector("main").firstElementChild.id,
    markup: s.querySelectorAll("i, b, script").length,
    rules: Array.prototype.map.call(s.querySelectorAll("tr[data-suggested]"), function (tr) {
      return {name: tr.dataset.suggested, cells: cells(tr)};
    }),
    totals: cells(s.querySelector("tr[data-suggested-totals]")),
    verdict: Object.assign({}, s.querySelector("p.verdict").dataset),
    verdict_text: s.querySelector("p.verdict").textContent,
    attacks: Array.prototype.map.call(s.querySelectorAll("tr[data-attack-rule]"), function (tr) {
      return {rule: tr.dataset.attackRule, cells: cells(tr)};
    }),
  };
  var pre = document.createElement("pre");
  pre.id = "read";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[dict, Path]:
    tmp = tmp_path_factory.mktemp("suggested")
    history = random_history(3).with_columns(
        pl.col("category").replace("gift_cards", HOSTILE),
        attack=pl.when(pl.col("is_bad") == 1)
        .then(pl.lit(ATTACK))
        .when(pl.col("amount") > 100)
        .then(pl.lit("big baskets"))
        .otherwise(None),
    )
    data = tmp / "history.parquet"
    history.write_parquet(data)
    strategy = tmp / "strategy.yaml"
    strategy.write_text(random_strategy(3).replace("gift_cards", HOSTILE), encoding="utf-8")
    report = tmp / "report.html"
    result = CliRunner().invoke(
        app,
        ["rules", "suggest", str(strategy), "--data", str(data), "--budget-fpr", "0.02",
         "--max-rules", "3", "--min-folds", "2", "--report", str(report), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), report


def read(report: Path, tmp_path: Path) -> dict:
    page = tmp_path / "read.html"
    head, body, tail = report.read_text().rpartition("</body>")  # the bundle has one too
    page.write_text(head + READ + body + tail)
    result = browse(page, tmp_path, "--window-size=1200,2400", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="read">(.*?)</pre>', result.stdout, re.S)
    assert found, "the page did not read its section"
    text = found.group(1)
    for entity, char in (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return json.loads(text)


def exact(cell: dict, key: str, value: float | None, interval: list | None = None) -> None:
    """The cell's data attributes are the JSON's numbers, to the last digit."""
    data = cell["data"]
    assert (float(data[key]) if data[key] else None) == value, (key, data, value)
    if interval is not None:
        assert [float(data[f"{key}Low"]), float(data[f"{key}High"])] == interval, (key, data)


def change_cells(cells: list[dict], change: dict) -> None:
    catch, fpr = cells
    m, i = change["metrics"], change["intervals"]
    exact(catch, "catch", m["catch_rate"], i["catch_rate"])
    exact(fpr, "fpr", m["false_positive_rate"], i["false_positive_rate"])
    assert catch["text"] == fmt_points_interval(m["catch_rate"], *i["catch_rate"])
    fpr_text = fmt_points_interval(m["false_positive_rate"], *i["false_positive_rate"], 3)
    assert fpr["text"] == fpr_text


def test_section_numbers_are_the_json_numbers(made: tuple[dict, Path], tmp_path: Path) -> None:
    reported, report = made
    page = read(report, tmp_path)
    n = len(reported["rules"])
    assert n >= 1, "the planted pattern should give at least one rule"
    title = f"random + {n} suggested rule{'' if n == 1 else 's'} vs random"
    assert page["h1"] == title and page["title"] == f"riskctl report: {title}"
    assert page["first"] == "suggested" and page["height"] > 100  # drawn, and first
    assert [r["name"] for r in page["rules"]] == [r["name"] for r in reported["rules"]]
    for shown, rule in zip(page["rules"], reported["rules"], strict=True):
        cells = shown["cells"]
        assert cells[1]["text"] == rule["when"]  # the condition, as text
        h = rule["holdout"]
        change_cells(cells[2:4], h)
        exact(cells[4], "precision", rule["precision"], rule["precision_interval"])
        assert cells[4]["text"] == fmt_interval(rule["precision"], *rule["precision_interval"], 1)
        exact(cells[5], "alerts", h["alerts_per_day"])
        assert cells[5]["text"] == fmt_count(h["alerts_per_day"])
        assert int(cells[6]["data"]["bad"]) == h["newly_stopped_bad"]
        assert int(cells[7]["data"]["good"]) == h["newly_hit_good"]
        overlap = dict(rule["overlap"])
        if rule["already_flagged"]:
            overlap = {"stopped": rule["already_flagged"], **overlap}
        shown_overlap = ", ".join(f"{k} {v:,}" for k, v in overlap.items()) or "-"
        assert cells[8]["text"] == shown_overlap
        assert cells[9]["text"] == f"{rule['folds_passed']}/{rule['folds']}"
        mix = [
            (a["rule"], a["cells"][1]["text"], int(a["cells"][2]["data"]["bad"]))
            for a in page["attacks"]
            if a["rule"] == rule["name"]
        ]
        assert mix == [(rule["name"], k, v["bad"]) for k, v in rule["attacks"].items()]
    t = reported["together"]
    change_cells(page["totals"][:2], t)
    exact(page["totals"][2], "alerts", t["alerts_per_day"])
    assert [int(page["totals"][k]["data"][w]) for k, w in ((3, "bad"), (4, "good"))] == [
        t["newly_stopped_bad"],
        t["newly_hit_good"],
    ]
    exact(page["totals"][6], "badAmount", t["bad_amount"])
    exact(page["totals"][7], "goodAmount", t["good_amount"])
    verdict = "true" if reported["within_budget"] else "false"
    assert page["verdict"] == {"withinBudget": verdict, "budget": str(reported["budget_fpr"])}
    assert ("within the budget" if reported["within_budget"] else "over the budget") in page[
        "verdict_text"
    ]


def test_data_text_stays_text(made: tuple[dict, Path], tmp_path: Path) -> None:
    reported, report = made
    page = read(report, tmp_path)
    assert page["markup"] == 0  # no element made from a condition or an attack name
    assert any(HOSTILE in r["when"] for r in reported["rules"]), "no rule names the category"
    assert ATTACK in {a["cells"][1]["text"] for a in page["attacks"]}
    html = report.read_text()
    section = html[html.index('<section id="suggested">') :]
    section = section[: section.index("</section>")]
    assert "<i>" not in section and "<b>" not in section


def test_no_rule_within_budget(tmp_path: Path) -> None:
    """A budget nothing fits: the section says so, the title counts no rule, no totals."""
    data, strategy, report = tmp_path / "h.parquet", tmp_path / "s.yaml", tmp_path / "r.html"
    random_history(1).write_parquet(data)
    strategy.write_text(random_strategy(1), encoding="utf-8")
    args = ["rules", "suggest", str(strategy), "--data", str(data), "--budget-fpr", "0.00001"]
    result = CliRunner().invoke(app, [*args, "--report", str(report), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rules"] == []
    html = report.read_text()
    assert "<title>riskctl report: random + 0 suggested rules vs random</title>" in html
    section = html[html.index('<section id="suggested">') :]
    section = section[: section.index("</section>")]
    assert "No rule pays within the budget" in section and "suggested-totals" not in section
    assert 'data-within-budget="true"' in section
