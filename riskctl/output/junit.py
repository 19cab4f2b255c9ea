"""JUnit XML for CI systems: one test case per guardrail."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from riskctl.evaluate.simulate import SimulationRun
from riskctl.gate.guardrails import GuardrailResult

# characters XML 1.0 cannot hold at all, escaped or not: a reader stops at the first one
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """`text` with each character XML cannot hold shown as its code (`\\x01`)."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def junit_xml(run: SimulationRun, results: list[GuardrailResult]) -> str:
    suite = ET.Element(
        "testsuite",
        name=_xml_text(f"riskctl check {run.candidate.loaded.name}"),
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname="riskctl.guardrails", name=_xml_text(f"{r.id} {r.name}")
        )
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=_xml_text(r.message))
            failure.text = _xml_text(r.message)
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
