"""From a simulation to a written report: explain the flagged rows, build, render."""

from __future__ import annotations

from pathlib import Path

from riskctl.evaluate.explanations import ExplainOptions, explain_file
from riskctl.evaluate.simulate import SimulationRun
from riskctl.evaluate.summary import ExplainSummary
from riskctl.explain.catalogue import EMPTY, load_catalogue
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.report.context import build_context
from riskctl.report.render import vega_bundle, write_report


def flagged_summary(run: SimulationRun, detector: Detector,
                    catalogue: Path | None) -> ExplainSummary | None:
    """Exact SHAP reasons for the candidate's flagged rows only: they are the ones asked about."""
    result = explain_file(detector.path, run.data_path, None, ExplainOptions(
        strategy=run.candidate.loaded.path, catalogue=catalogue, only_flagged=True,
        summary=True))
    return result.summary


def report_for_run(run: SimulationRun, guardrails: list[GuardrailResult],
                   detector: Detector | None, out: Path, command: str,
                   templates: Path | None = None, catalogue: Path | None = None,
                   summary: ExplainSummary | None = None) -> Path:
    if summary is None and detector is not None:
        summary = flagged_summary(run, detector, catalogue)
    context = build_context(run, guardrails, summary, detector, command=command,
                            vega_bundle=vega_bundle(),
                            catalogue=load_catalogue(catalogue) if catalogue else EMPTY)
    return write_report(context, out, templates)
