"""The report's typed context: every number a template shows is computed here."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from riskctl.explain.catalogue import EMPTY, Catalogue
from riskctl.explain.summary import ExplainSummary
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector, library_versions
from riskctl.output.markdown import default_title
from riskctl.output.tables import (
    MetricRow,
    RuleRow,
    SegmentRow,
    SwapRow,
    metric_rows,
    rule_rows,
    segment_rows,
    swap_rows,
)
from riskctl.report.detector_section import DetectorEvaluation, detector_evaluation
from riskctl.report.examples import ExampleRow, example_rows
from riskctl.report.facts import caveats, checksums, facts
from riskctl.report.figures import Chart, segment_charts, strategy_charts
from riskctl.report.glossary import GLOSSARY
from riskctl.report.suggested import SuggestedSection
from riskctl.report.unseen import UnseenView, unseen_view
from riskctl.simulation.simulate import SimulationRun


@dataclass(frozen=True)
class ReasonRow:
    code: str
    description: str
    rows: int
    share: str


@dataclass(frozen=True)
class GuardrailRow:
    id: str
    name: str
    passed: bool
    message: str


@dataclass(frozen=True)
class ReportContext:
    title: str
    candidate_name: str
    baseline_name: str | None
    metrics: list[MetricRow]
    charts: list[Chart]
    reasons: list[ReasonRow]
    guardrails: list[GuardrailRow]
    facts: list[tuple[str, str]]
    caveats: list[str]
    command: str
    versions: dict[str, str]
    checksums: list[tuple[str, str]]
    vega_bundle: str = field(repr=False, default="")
    swap: list[SwapRow] = field(default_factory=list)
    rules: list[RuleRow] = field(default_factory=list)
    review_capacity: str | None = None
    segments: dict[str, list[SegmentRow]] = field(default_factory=dict)
    reasons_by_action: dict[str, list[ReasonRow]] = field(default_factory=dict)
    examples: list[ExampleRow] = field(default_factory=list)
    ids_masked: bool = True
    unseen: UnseenView | None = None  # what this history could not see
    detector: DetectorEvaluation | None = None
    segment_charts: dict[str, Chart] = field(default_factory=dict)  # by --by column
    glossary: tuple[tuple[str, str], ...] = GLOSSARY
    suggested: SuggestedSection | None = None  # `rules suggest --report`


def describe_code(
    code: str, catalogue: Catalogue, run: SimulationRun, examples: dict[str, str] | None = None
) -> str:
    """What a reason code means, for the report's reader: a rule says which rule; a model or
    catalogue reason shows one real row's text when there is one, else its template."""
    rules = {r.name: r for r in run.candidate.loaded.strategy.rules}
    if code in rules:
        rule = rules[code]
        return f"rule {rule.name} ({rule.action}): {rule.reason or rule.when}"
    if examples and code in examples:
        return f"e.g. {examples[code]}"
    entry = catalogue.by_code.get(code)
    if entry is not None:
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", entry.text)
    if code.startswith("M_"):
        return f"model: {code.removeprefix('M_').lower()} raised the score most"
    return code


def reason_rows(
    run: SimulationRun, summary: ExplainSummary | None, catalogue: Catalogue, limit: int = 12
) -> list[ReasonRow]:
    """Main reason of each of the candidate's flagged rows: the first rule that fired, else
    the model's largest contribution (exact SHAP). Without a detector, rules only."""
    decisions = run.candidate.decisions
    flagged = int(decisions["flagged"].sum())
    if flagged == 0:
        return []
    strategy = run.candidate.loaded.strategy
    counts: Counter[str] = Counter()
    if summary is not None:
        for action, rows in summary.reasons_by_action.items():
            if action != strategy.pass_action:
                counts.update({code: n for code, n, _ in rows})
    else:
        schema = run.candidate.schema
        deciders = decisions.filter(pl.col("flagged"))["decided_by"].drop_nulls()
        for column, n in deciders.value_counts().iter_rows():
            d = schema.by_column(column)
            if d is not None and d.kind == "rule":
                code = d.reason if d.reason in catalogue.by_code else d.label
                counts[code or d.label] += n
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    examples = summary.examples if summary is not None else None
    return [
        ReasonRow(
            code, describe_code(code, catalogue, run, examples), n, f"{100 * n / flagged:.1f}%"
        )
        for code, n in ordered
    ]


def build_context(
    run: SimulationRun,
    guardrails: list[GuardrailResult],
    summary: ExplainSummary | None,
    detector: Detector | None,
    command: str,
    vega_bundle: str,
    title: str | None = None,
    catalogue: Catalogue = EMPTY,
    fpr_axis: str = "log",
    show_ids: bool = False,
) -> ReportContext:
    cand = run.candidate
    segments = segment_tables(run)
    m = cand.metrics
    return ReportContext(
        title=title or default_title(run),
        candidate_name=cand.loaded.name,
        baseline_name=run.baseline.loaded.name if run.baseline else None,
        metrics=metric_rows(run),
        charts=strategy_charts(run, summary, fpr_axis),
        segment_charts=segment_charts(segments),
        reasons=reason_rows(run, summary, catalogue),
        guardrails=[GuardrailRow(g.id, g.name, g.passed, g.message) for g in guardrails],
        facts=facts(run, detector),
        caveats=caveats(run, detector),
        command=command,
        versions=library_versions(),
        checksums=checksums(run, detector),
        vega_bundle=vega_bundle,
        swap=swap_rows(run.comparison),
        rules=rule_rows(run.candidate.rules),
        review_capacity=(
            f"{m.review_capacity_per_day:,.0f}" if m.review_capacity_per_day is not None else None
        ),
        segments=segments,
        reasons_by_action=_reasons_by_action(summary, catalogue, run),
        examples=example_rows(run, detector, show_ids, catalogue=catalogue),
        ids_masked=not show_ids,
        unseen=unseen_view(run),
        detector=detector_evaluation(detector),
    )


def _reasons_by_action(
    summary: ExplainSummary | None, catalogue: Catalogue, run: SimulationRun
) -> dict[str, list[ReasonRow]]:
    if summary is None:
        return {}
    return {
        action: [
            ReasonRow(
                code,
                describe_code(code, catalogue, run, summary.examples),
                n,
                f"{100 * share:.1f}%",
            )
            for code, n, share in rows[:5]
        ]
        for action, rows in summary.reasons_by_action.items()
    }


def segment_tables(run: SimulationRun) -> dict[str, list[SegmentRow]]:
    return {column: segment_rows(groups) for column, groups in run.candidate.by.items()}
