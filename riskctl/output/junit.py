"""JUnit XML for CI systems: one test case per guardrail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from riskctl.escape import for_xml
from riskctl.gate.guardrails import GuardrailResult
from riskctl.simulation.simulate import SimulationRun


def junit_xml(
    run: SimulationRun, results: list[GuardrailResult], notes: list[str] | None = None
) -> str:
    """One test case per guardrail; notes as `note` properties and the suite's output."""
    suite = ET.Element(
        "testsuite",
        name=for_xml(f"riskctl check {run.candidate.loaded.name}"),
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
    )
    if notes:
        properties = ET.SubElement(suite, "properties")
        for note in notes:
            ET.SubElement(properties, "property", name="note", value=for_xml(note))
    ids = [r.id for r in results]
    for r in results:
        # a guardrail judged twice (each side's limit on its own measure) names whose it is
        name = f"{r.id} {r.name}" + (f" ({r.source})" if ids.count(r.id) > 1 else "")
        case = ET.SubElement(suite, "testcase", classname="riskctl.guardrails", name=for_xml(name))
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=for_xml(r.message))
            failure.text = for_xml(r.message)
    if notes:
        ET.SubElement(suite, "system-out").text = "\n".join(f"note: {for_xml(n)}" for n in notes)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
