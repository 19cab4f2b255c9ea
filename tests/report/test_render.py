"""The report: parsed back, every section and number checked against the simulation."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from riskctl.gate.baseline_limits import check_guardrails
from riskctl.numbers import fmt_interval
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation


@pytest.fixture(scope="module")
def run(scored_path: Path, example_strategies: Path, detector):
    return run_simulation(
        example_strategies / "candidate.yaml",
        scored_path,
        baseline=example_strategies / "baseline.yaml",
        carry=detector.feature_names,
    )


@pytest.fixture(scope="module")
def report(run, detector, tmp_path_factory) -> tuple[Path, BeautifulSoup]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    report_for_run(run, check_guardrails(run), detector, out, command="riskctl report x")
    return out, BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")


def test_sections_are_all_there(report) -> None:
    _, soup = report
    for section in (
        "metrics",
        "guardrails",
        "chart-tradeoff",
        "chart-scores",
        "chart-importance",
        "swap",
        "rules",
        "reasons",
        "data",
    ):
        assert soup.find(id=section) is not None, section
    assert soup.find(id="reproduce").get_text().count("riskctl report x") == 1


def test_headline_numbers_match_the_simulation(report, run) -> None:
    _, soup = report
    for key in ("catch_rate", "false_positive_rate", "precision", "alert_rate"):
        cells = [
            td.get_text(strip=True) for td in soup.select(f'#metrics tr[data-metric="{key}"] td')
        ]
        for cell, metrics in ((cells[1], run.baseline.metrics), (cells[2], run.candidate.metrics)):
            p = getattr(metrics, key)
            assert cell == fmt_interval(p.value, p.low, p.high)
            value, interval = cell.split("% (")
            low, high = interval.rstrip(")").split("–")
            for shown, exact in ((value, p.value), (low, p.low), (high, p.high)):
                assert float(shown) == pytest.approx(100 * exact, abs=0.0051)
    cells = soup.select('#metrics tr[data-metric="catch_rate"] td')
    delta = run.comparison.delta["catch_rate"]
    shown = float(cells[3].get_text(strip=True).split(" pp")[0])
    assert shown == pytest.approx(100 * delta.value, abs=0.0051)


def test_reason_counts_add_up(report, run) -> None:
    _, soup = report
    decisions = run.candidate.decisions
    flagged = int(decisions["flagged"].sum())
    rows = {
        r["data-reason"]: int(r.find_all("td")[2].get_text().replace(",", ""))
        for r in soup.select("#reasons tr[data-reason]")
    }
    assert 0.95 * flagged <= sum(rows.values()) <= flagged
    # promo_farm is the most severe rule, so it leads the reasons of every row it fires on
    fired = int((decisions["flagged"] & decisions["rule:promo_farm"]).sum())
    assert rows["promo_farm"] == fired > 0
    text = soup.select_one('#reasons tr[data-reason="promo_farm"]').get_text()
    assert "rule promo_farm (block)" in text


def test_changes_are_coloured_only_outside_noise(report, run) -> None:
    _, soup = report
    for key, d in run.comparison.delta.items():
        card = soup.select_one(f'[data-card="{key}"]')
        if card is None or d.low != d.low:  # no card, or no interval
            continue
        classes = card["class"]
        if d.low <= 0 <= d.high:
            assert "neutral" in classes, key
        else:
            assert "better" in classes or "worse" in classes or key == "alert_rate", key


def test_swap_and_rule_sections_match_the_simulation(report, run) -> None:
    _, soup = report
    cells = {(c.kind, c.label): c for c in run.comparison.swap_set}
    for kind in ("swap-in", "swap-out"):
        row = [td.get_text(strip=True) for td in soup.select(f'#swap tr[data-swap="{kind}"] td')]
        assert int(row[1].replace(",", "")) == cells[(kind, 1)].rows
        assert int(row[2].replace(",", "")) == cells[(kind, 0)].rows
    for r in run.candidate.rules:
        row = [td.get_text(strip=True) for td in soup.select(f'#rules tr[data-rule="{r.name}"] td')]
        assert int(row[2].replace(",", "")) == r.hits
        assert int(row[5].replace(",", "")) == r.incremental_bad
        assert ("(shadow)" in row[0]) == (r.mode == "shadow")


def test_cards_segments_examples_and_masking(
    tmp_path: Path, scored_path: Path, detector, example_strategies: Path
) -> None:
    run = run_simulation(
        example_strategies / "candidate.yaml",
        scored_path,
        baseline=example_strategies / "baseline.yaml",
        by=["segment"],
        carry=detector.feature_names,
    )
    masked = report_for_run(run, check_guardrails(run), detector, tmp_path / "m.html", "x")
    shown = report_for_run(
        run,
        check_guardrails(run),
        detector,
        tmp_path / "s.html",
        "x",
        show_ids=True,
        fpr_axis="linear",
    )
    soup = BeautifulSoup(masked.read_text(encoding="utf-8"), "html.parser")
    card = soup.select_one('[data-card="catch_rate"]')
    assert (
        card.select_one(".card-value").get_text(strip=True)
        == f"{100 * run.candidate.metrics.catch_rate.value:.2f}%"
    )
    seg = {r["data-segment"]: r for r in soup.select("#segments-segment tr[data-segment]")}
    assert set(seg) == set(run.candidate.by["segment"])
    ids = [c.get_text(strip=True) for c in soup.select("#examples tr td code")]
    assert ids and all(i.startswith("m_") for i in ids)
    shown_ids = [
        c.get_text(strip=True)
        for c in BeautifulSoup(shown.read_text(encoding="utf-8"), "html.parser").select(
            "#examples tr td code"
        )
    ]
    assert all(i.startswith("o") for i in shown_ids)
    assert '"type": "symlog"' in shown.read_text(encoding="utf-8")
    assert soup.select('[data-action-reason^="block:"]')


def test_chart_spec_carries_both_operating_points(report, run) -> None:
    _, soup = report
    script = soup.select_one("#chart-tradeoff script").string
    assert run.candidate.loaded.name in script and run.baseline.loaded.name in script
    assert f"{run.candidate.metrics.catch_rate.value}" in script


def test_charts_have_static_svg_fallbacks(report) -> None:
    _, soup = report
    for chart in ("tradeoff", "scores", "importance"):
        fallback = soup.select_one(f"#chart-{chart} noscript")
        assert "<svg" in fallback.decode_contents(), chart


def test_self_contained(report) -> None:
    path, soup = report
    assert not soup.select("script[src]") and not soup.select("link[href]")
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert path.stat().st_size < 5_000_000


def test_user_text_is_escaped(tmp_path: Path, scored_path: Path, detector, write_strategy) -> None:
    path = write_strategy(
        "name: '<script>alert(1)</script>'\nactions: [review, allow]\n"
        "thresholds:\n  review: {score: 0.8}\nlabel: is_bad\n"
    )
    run = run_simulation(path, scored_path)
    out = report_for_run(run, [], None, tmp_path / "r.html", command="x")
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_templates_override_by_name(tmp_path: Path, run) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_data.html.j2").write_text('<section id="data">custom data section</section>')
    out = report_for_run(run, [], None, tmp_path / "r.html", command="x", templates=templates)
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert soup.find(id="data").get_text() == "custom data section"
    assert soup.find(id="metrics") is not None


def test_markdown_summary_and_simulate_report(
    tmp_path: Path, scored_path: Path, example_strategies: Path, run
) -> None:
    from typer.testing import CliRunner

    from riskctl.cli.app import app

    md = tmp_path / "r.md"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(example_strategies / "candidate.yaml"),
            "--baseline",
            str(example_strategies / "baseline.yaml"),
            "--data",
            str(scored_path),
            "--format",
            "md",
            "--out",
            str(md),
        ],
    )
    assert result.exit_code == 0, result.output
    text = md.read_text()
    swap_in = next(c for c in run.comparison.swap_set if c.kind == "swap-in" and c.label == 1)
    assert "| metric | baseline | candidate | change |" in text
    assert f"| swap-in | {swap_in.rows:,} |" in text
    assert "| `device_farm` (shadow) | `block` |" in text
    html = tmp_path / "s.html"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(example_strategies / "candidate.yaml"),
            "--data",
            str(scored_path),
            "--report",
            str(html),
        ],
    )
    assert result.exit_code == 0, result.output
    assert BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").find(id="metrics")


def test_chart_specs_are_valid_vega_lite(run, detector) -> None:
    """Reports build specs without altair's schema check; the check runs here instead."""
    import altair as alt
    from altair.utils.schemapi import validate_jsonschema

    from riskctl.report.build import flagged_summary
    from riskctl.report.context import build_context

    summary = flagged_summary(run, detector, None)
    context = build_context(run, check_guardrails(run), summary, detector, "x", vega_bundle="")
    schema = alt.vegalite.load_schema()
    assert len(context.charts) >= 3
    for chart in context.charts:
        validate_jsonschema(chart.spec, schema)  # raises on any violation
