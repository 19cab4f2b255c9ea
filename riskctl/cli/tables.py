"""Rich tables of a simulation's results: metrics, guardrails, rules, segments, swap set."""

from __future__ import annotations

from rich.table import Table

from riskctl.escape import for_terminal
from riskctl.gate.guardrails import GuardrailResult
from riskctl.numbers import fmt_percent
from riskctl.output.tables import estimate_rows, metric_rows, rule_rows, swap_rows
from riskctl.simulation.simulate import Simulation, SimulationRun
from riskctl.simulation.strategy_metrics import StrategyMetrics, no_label_text


def metrics_table(run: SimulationRun) -> Table:
    has_base = run.baseline is not None
    table = Table(
        title=f"{for_terminal(run.candidate.loaded.name)}: {run.candidate.metrics.rows:,} rows, "
        f"{run.candidate.metrics.bad:,} bad",
        caption=(
            no_label_text(run.candidate.metrics.counts) + ": in alert rate and review load only"
            if run.candidate.metrics.counts.no_label
            else None
        ),
        caption_justify="left",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    table.add_column("metric")
    if has_base:
        table.add_column("baseline", justify="right")
    table.add_column("candidate", justify="right")
    if has_base:
        table.add_column("change", justify="right")
    colour = {"better": "green", "worse": "red", "neutral": ""}
    for row in metric_rows(run, digits=1, compact=True):
        cells = [row.label]
        if has_base:
            cells.append(row.baseline or "")
        cells.append(row.candidate)
        if has_base:
            style = colour[row.verdict]
            cells.append(f"[{style}]{row.delta}[/]" if style and row.delta else row.delta or "")
        table.add_row(*cells)
    return table


def guardrail_table(results: list[GuardrailResult]) -> Table:
    table = Table(box=None, pad_edge=False, title="Guardrails", title_justify="left")
    for name in ("id", "verdict", "limit from", "guardrail"):
        table.add_column(name)
    for r in results:
        verdict = "[green]holds[/]" if r.passed else "[red]FAILS[/]"
        detail = for_terminal(f"{r.name}: {r.message.split(': ', 1)[-1]}")
        table.add_row(for_terminal(r.id), verdict, r.source, detail)
    return table


def rule_stats_table(sim: Simulation) -> Table:
    table = Table(
        title=f"Rules of {for_terminal(sim.loaded.name)} (incremental: bad rows nothing else "
        "flags)",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for name in ("rule", "action", "hits", "bad", "precision", "incr. bad", "overlap"):
        table.add_column(name, justify="left" if name in ("rule", "action", "overlap") else "right")
    for r in rule_rows(sim.rules):
        name = f"{for_terminal(r.name)} [dim](shadow)[/]" if r.shadow else for_terminal(r.name)
        table.add_row(
            name,
            for_terminal(r.action),
            r.hits,
            r.bad_hits,
            r.precision,
            r.incremental_bad,
            for_terminal(r.overlap),
        )
    return table


def segment_table(column: str, groups: dict[str, StrategyMetrics]) -> Table:
    shown = for_terminal(column)
    table = Table(title=f"By {shown}", title_justify="left", box=None, pad_edge=False)
    for name in (shown, "rows", "bad", "catch rate", "FPR", "precision"):
        table.add_column(name, justify="left" if name == shown else "right")
    for value, m in groups.items():
        table.add_row(
            for_terminal(value),
            f"{m.rows:,}",
            f"{m.bad:,}",
            fmt_percent(m.catch_rate.value, 1),
            fmt_percent(m.false_positive_rate.value, 1),
            fmt_percent(m.precision.value, 1),
        )
    return table


def swap_table(run: SimulationRun) -> Table:
    """What the change really does: rows it newly flags (swap-in) and newly lets through."""
    table = Table(
        title="Swap set (candidate vs baseline)", title_justify="left", box=None, pad_edge=False
    )
    unknown = run.candidate.metrics.counts.no_label > 0
    names = ["", "bad rows", "good rows", "bad amount", "good amount"]
    names += ["unknown outcome"] if unknown else []
    for name in names:
        table.add_column(name, justify="left" if not name else "right")
    for r in swap_rows(run.comparison):
        cells = [r.kind, r.bad_rows, r.good_rows, r.bad_amount, r.good_amount]
        table.add_row(*cells, *([r.unknown_rows] if unknown else []))
    return table


def estimates_table(run: SimulationRun) -> Table:
    """Label metrics three ways when some outcomes were never seen."""
    table = Table(
        title="Label metrics with unseen outcomes (naive is biased: labelled rows only)",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for name in ("metric", "of", "naive", "bounds", "estimate (control group)"):
        table.add_column(name, justify="left" if name in ("metric", "of") else "right")
    for r in estimate_rows(run, digits=1):
        table.add_row(r.label, r.scope, r.naive, r.bounds, r.estimate)
    if run.coverage.notes:
        table.caption = for_terminal("; ".join(run.coverage.notes))
        table.caption_justify = "left"
    return table
