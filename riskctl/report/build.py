"""From a simulation to a written report: explain the flagged rows, build, render.

Everything comes from the run it is given: no file is read again, nothing re-decided."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from riskctl.data.io import write_text
from riskctl.errors import UsageError
from riskctl.explain.batches import ExplainOptions, explain_decided
from riskctl.explain.catalogue import EMPTY, load_catalogue
from riskctl.explain.summary import ExplainSummary
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.output.markdown import report_markdown
from riskctl.report.context import build_context
from riskctl.report.curve_points import check_fpr_axis
from riskctl.report.render import vega_bundle, write_report
from riskctl.report.suggested import suggested_section, suggested_title
from riskctl.rules.suggest import Suggestion
from riskctl.simulation.simulate import SimulationRun


def flagged_summary(
    run: SimulationRun, detector: Detector, catalogue: Path | None
) -> ExplainSummary | None:
    """Exact SHAP reasons for the candidate's flagged rows only (they are the ones asked
    about), from the rows and decisions the run already holds."""
    missing = [f for f in detector.feature_names if f not in run.table.columns]
    if missing:
        raise UsageError(
            f"the simulation did not keep the detector's features ({', '.join(missing[:5])})",
            hint="simulate with carry=detector.feature_names",
        )
    result = explain_decided(
        detector,
        run.table,
        run.candidate.decisions,
        run.candidate.schema,
        ExplainOptions(
            strategy=run.candidate.loaded.path,
            catalogue=catalogue,
            only_flagged=True,
            summary=True,
            context=run.context_path,
        ),
    )
    return result.summary


def report_for_run(
    run: SimulationRun,
    guardrails: list[GuardrailResult],
    detector: Detector | None,
    out: Path,
    command: str,
    templates: Path | None = None,
    catalogue: Path | None = None,
    summary: ExplainSummary | None = None,
    fmt: str = "html",
    fpr_axis: str = "log",
    show_ids: bool = False,
) -> Path:
    """Write the HTML report, or with fmt="md" its Markdown summary for pull requests."""
    if fmt not in ("html", "md"):
        raise UsageError(f"--format must be html or md, not {fmt!r}")
    check_fpr_axis(fpr_axis)
    if summary is None and detector is not None and fmt == "html":
        summary = flagged_summary(run, detector, catalogue)
    context = build_context(
        run,
        guardrails,
        summary,
        detector,
        command=command,
        vega_bundle=vega_bundle() if fmt == "html" else "",
        catalogue=load_catalogue(catalogue) if catalogue else EMPTY,
        fpr_axis=fpr_axis,
        show_ids=show_ids,
    )
    if fmt == "md":
        return write_text(report_markdown(run, context.title, context.caveats), out)
    return write_report(context, out, templates)


def report_for_suggestion(result: Suggestion, out: Path, command: str) -> Path:
    """`rules suggest --report`: simulate's report of the strategy with the suggested rules
    in shadow mode against the strategy, on the holdout rows, opened by the "Suggested
    rules" section (the numbers `rules suggest --json` gives)."""
    run = result.holdout_run
    if run is None:
        raise UsageError("no holdout run to report on", hint="run `riskctl rules suggest` again")
    title = suggested_title(result)
    context = build_context(run, [], None, None, command, vega_bundle(), title=title)
    shown = f"{result.strategy.name} + {len(result.rules)} suggested (shadow)"
    context = replace(context, candidate_name=shown, suggested=suggested_section(result))
    return write_report(context, out)
