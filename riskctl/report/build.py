"""From a simulation to a written report: explain the flagged rows, build, render."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from riskctl.evaluate.simulate import SimulationRun
from riskctl.explain.run import explain_rows
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.report.context import build_context
from riskctl.report.render import vega_bundle, write_report


def explain_flagged(run: SimulationRun, detector: Detector, keep: list[str]) -> pl.DataFrame:
    """Exact SHAP reasons for the candidate's flagged rows only: they are the ones asked about."""
    flagged = run.table.filter(run.candidate.decisions["flagged"])
    return explain_rows(detector, flagged, keep=[c for c in keep if c in flagged.columns])


def report_for_run(run: SimulationRun, guardrails: list[GuardrailResult],
                   detector: Detector | None, out: Path, command: str,
                   templates: Path | None = None,
                   explanations: pl.DataFrame | None = None) -> Path:
    if explanations is None and detector is not None:
        explanations = explain_flagged(run, detector, [run.roles.label])
    context = build_context(run, guardrails, explanations, detector, command=command,
                            vega_bundle=vega_bundle())
    return write_report(context, out, templates)
