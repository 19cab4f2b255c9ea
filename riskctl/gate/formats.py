"""CI output formats for `riskctl check`: a Markdown verdict for pull requests and JUnit XML
with one test case per guardrail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from riskctl.evaluate.simulate import SimulationRun
from riskctl.evaluate.text import metric_rows
from riskctl.gate.guardrails import GuardrailResult


def _cell(text: object) -> str:
    """Markdown table cells: pipes and newlines would break the table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_summary(run: SimulationRun, results: list[GuardrailResult]) -> str:
    failed = [r for r in results if not r.passed]
    cand = run.candidate.loaded.name
    base = run.baseline.loaded.name if run.baseline else None
    verdict = (
        f"**riskctl check: FAILED** - {len(failed)} of {len(results)} guardrails fail"
        if failed
        else f"**riskctl check: PASSED** - {len(results)} guardrails hold"
    )
    lines = [f"### `{_cell(cand)}`" + (f" vs `{_cell(base)}`" if base else ""), "", verdict, ""]
    if results:
        lines += ["| check | guardrail | verdict | detail |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {r.id} | {r.name} | {'holds' if r.passed else '**fails**'} | "
            f"{_cell(r.message.split(': ', 1)[-1])} |"
            for r in results
        ]
        lines.append("")
    head = "| metric | candidate |" + (" baseline | change |" if base else "")
    lines += [head, "| --- | --- |" + (" --- | --- |" if base else "")]
    for row in metric_rows(run):
        cells = [row.label, row.candidate] + ([row.baseline or "", row.delta or ""] if base else [])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if run.comparison is not None:
        lines += ["", "| swap set | bad rows | good rows |", "| --- | --- | --- |"]
        swaps = {(c.kind, c.label): c.rows for c in run.comparison.swap_set}
        for kind in ("swap-in", "swap-out"):
            lines.append(f"| {kind} | {swaps[(kind, 1)]:,} | {swaps[(kind, 0)]:,} |")
    return "\n".join(lines) + "\n"


def junit_xml(run: SimulationRun, results: list[GuardrailResult]) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"riskctl check {run.candidate.loaded.name}",
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname="riskctl.guardrails", name=f"{r.id} {r.name}"
        )
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.message)
            failure.text = r.message
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
