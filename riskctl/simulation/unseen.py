"""Label metrics three ways for a simulation whose history hid some outcomes: from the rows,
once the cells say some outcome was unseen or the history has a control group."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from riskctl.outcomes.estimates import change_estimates
from riskctl.simulation.compare import Comparison
from riskctl.simulation.strategy_metrics import row_inputs, with_estimates


def with_unseen(sim: Any) -> Any:
    """The three ways of each label metric, from the rows, when some outcome was unseen or
    the history has a control group."""
    assert sim.rows is not None
    history = sim.rows.roles.history
    counts = sim.metrics.counts
    weighted = history is not None and (history.control or history.propensity)
    if not (counts.unlabelled or counts.blocked or weighted):
        return sim
    decisions, coverage = sim.decisions, sim.coverage
    out = replace(sim, metrics=with_estimates(sim.metrics, decisions, sim.rows.roles, coverage))
    out.__dict__.update(decisions=decisions, coverage=coverage)
    return out


def change_unseen(comparison: Comparison, base: Any, cand: Any) -> Comparison:
    """Candidate minus baseline three ways, paired on the same rows (the candidate's label
    coverage for both)."""
    if not (base.metrics.estimates and cand.metrics.estimates):
        return comparison
    assert cand.rows is not None
    roles, coverage = cand.rows.roles, cand.coverage
    naive = {k: comparison.delta[k] for k in cand.metrics.estimates if k in comparison.delta}
    ways = change_estimates(
        row_inputs(base.decisions, roles, coverage),
        row_inputs(cand.decisions, roles, coverage),
        naive,
        base.metrics.estimates,
        cand.metrics.estimates,
    )
    return replace(comparison, estimates=ways)
