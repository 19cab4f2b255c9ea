"""The report's "what this history could not see" section: rows with no usable label and
why, the swap set's cells whose outcome is unknown, label metrics three ways, and what a
control group of a given size would buy."""

from __future__ import annotations

from dataclasses import dataclass, field

from riskctl.metrics.registry import metric
from riskctl.numbers import fmt_int, fmt_money, fmt_percent, fmt_points
from riskctl.outcomes.coverage import WHY
from riskctl.outcomes.sizing import CONTROL_RATES, control_sizing
from riskctl.output.tables import EstimateRow, estimate_rows
from riskctl.simulation.simulate import SimulationRun
from riskctl.simulation.strategy_metrics import row_inputs


@dataclass(frozen=True)
class SizingRow:
    metric: str
    widths: list[str]  # one per rate in `UnseenView.rates`


@dataclass(frozen=True)
class UnseenView:
    rows: str  # all rows evaluated
    no_label: list[tuple[str, str, str]]  # (why, rows, share of all rows)
    swap_unknown: list[tuple[str, str, str]]  # (swap-set cell, rows, amount) with no outcome
    estimates: list[EstimateRow]
    rates: list[str] = field(default_factory=list)
    sizing: list[SizingRow] = field(default_factory=list)
    sizing_upper_bound: bool = False
    has_control: bool = False
    notes: list[str] = field(default_factory=list)


def unseen_view(run: SimulationRun) -> UnseenView | None:
    """None when every row's outcome was seen and there is no control group to weigh."""
    m = run.candidate.metrics
    counts = m.counts
    if not counts.no_label and not m.estimates:
        return None
    total = int(counts.rows)
    no_label = [
        (WHY[k], fmt_int(int(getattr(counts, k))), fmt_percent(getattr(counts, k) / total))
        for k in ("blocked", "immature", "unlabelled")
        if getattr(counts, k)
    ]
    swap = []
    if run.comparison is not None:
        for kind in ("swap-in", "swap-out", "both flag", "neither flags"):
            cell = run.comparison.cell(kind, None)
            swap.append((kind, fmt_int(cell.rows), fmt_money(cell.amount)))
    sizing = control_sizing(row_inputs(run.candidate.decisions, run.roles, run.coverage), counts)
    return UnseenView(
        rows=fmt_int(total),
        no_label=no_label,
        swap_unknown=swap,
        estimates=estimate_rows(run),
        rates=[fmt_percent(r, 0) for r in CONTROL_RATES],
        sizing=[
            SizingRow(
                metric(s.key).label,
                ["±" + fmt_points(w / 2).lstrip("+") for w in s.widths.values()],
            )
            for s in sizing
        ],
        sizing_upper_bound=any(s.upper_bound for s in sizing),
        has_control=run.coverage.weight is not None,
        notes=list(run.coverage.notes),
    )
