"""Whose limits a candidate is judged against: its own guardrails and a baseline's.

With a baseline, its guardrails apply too, so a candidate cannot pass by deleting or
loosening its own: every guardrail either file sets is checked, and where both set one the
stricter limit applies. Each result says where its limit came from (`source`: candidate,
baseline or both). `own_only` judges the candidate's own guardrails alone (to loosen one on
purpose, a choice made where the gate is run, not in the file it judges).

The baseline's guardrails are judged on the candidate's decisions measured with the
baseline's measurement settings (`riskctl.strategy.measurement`: label, bad, time, amount,
costs, reviews, maturity, history), so a candidate cannot pass them by changing what they
measure. When the candidate changes one of these, `measured` is that second run, each
side's limits are judged on its own run (never merged into one) and `measurement_notes`
says what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskctl.gate.guardrails import (
    GUARDRAILS,
    Guardrail,
    GuardrailResult,
    judge_guardrail,
    labels_basis,
    shown_as,
)
from riskctl.simulation.simulate import SimulationRun
from riskctl.strategy.measurement import measurement_changes, measurement_note
from riskctl.strategy.schema import Guardrails


@dataclass(frozen=True)
class Limit:
    """The limit a guardrail is judged against, and whose it is."""

    rail: Guardrail
    value: float
    source: str  # candidate, baseline or both
    note: str = ""


def _limit_of(guardrails: Guardrails, rail: Guardrail) -> float | None:
    section = guardrails.relative if rail.relative else guardrails
    return getattr(section, rail.key, None) if section is not None else None


def guardrail_limits(candidate: Guardrails, baseline: Guardrails | None) -> list[Limit]:
    """The limits to judge: the candidate's, and with a baseline, the baseline's too (the
    stricter of the two where both set one)."""
    limits = []
    for rail in GUARDRAILS:
        own = _limit_of(candidate, rail)
        theirs = _limit_of(baseline, rail) if baseline is not None else None
        show = shown_as(rail)
        if theirs is None:
            if own is not None:
                limits.append(Limit(rail, own, "candidate"))
        elif own is None:
            limits.append(Limit(rail, theirs, "baseline", "the candidate does not set it"))
        elif own == theirs:
            limits.append(Limit(rail, own, "both"))
        elif (own < theirs) == (rail.direction == "max"):
            note = f"stricter than the baseline's {show(theirs)}"
            limits.append(Limit(rail, own, "candidate", note))
        else:
            note = f"the candidate's {show(own)} is looser"
            limits.append(Limit(rail, theirs, "baseline", note))
    return limits


SOURCES = {
    "candidate": "the candidate's",
    "baseline": "the baseline's",
    "both": "the candidate's and the baseline's",
}


def sources_line(results: list[GuardrailResult]) -> str:
    """Whose limits were judged: `3 the candidate's, 2 the baseline's`."""
    counts = {s: sum(r.source == s for r in results) for s in SOURCES}
    return ", ".join(f"{n} {SOURCES[s]}" for s, n in counts.items() if n) or "none"


def measurement_notes(run: SimulationRun, own_only: bool = False) -> list[str]:
    """With a baseline, a note when the candidate changes how metrics are measured."""
    if run.baseline is None:
        return []
    changes = measurement_changes(run.baseline.loaded.strategy, run.candidate.loaded.strategy)
    if not changes:
        return []
    note = measurement_note(changes)
    if own_only:
        note = note.split(": the baseline's guardrails")[0] + (
            ": --own-guardrails judges the candidate's guardrails with its own settings"
        )
    return [note]


def needs_baseline_measure(run: SimulationRun, own_only: bool = False) -> bool:
    """True when the baseline's guardrails need the candidate measured the baseline's way:
    there is a baseline, it is judged, it sets a guardrail and the settings differ."""
    if run.baseline is None or own_only:
        return False
    base = run.baseline.loaded.strategy
    if not any(_limit_of(base.guardrails, rail) is not None for rail in GUARDRAILS):
        return False
    return bool(measurement_changes(base, run.candidate.loaded.strategy))


def check_guardrails(
    run: SimulationRun,
    strict: bool = False,
    labels: str = "auto",
    own_only: bool = False,
    measured: SimulationRun | None = None,
) -> list[GuardrailResult]:
    """Every guardrail the candidate's file sets, and the baseline's (see the module's
    docstring; `own_only`: the candidate's alone); `labels`: naive, bounds, estimate or auto
    (see `labels_basis`). `measured`: the candidate measured with the baseline's settings
    (`run_simulation(measure_as_baseline=True)`), required when `needs_baseline_measure`."""
    basis = labels_basis(run, labels)
    base = None if run.baseline is None or own_only else run.baseline.loaded.strategy.guardrails
    own = run.candidate.loaded.strategy.guardrails
    judged: list[tuple[Limit, SimulationRun | None]]
    if base is None or not needs_baseline_measure(run, own_only):
        judged = [(found, run) for found in guardrail_limits(own, base)]
    else:  # measured two ways: each side's limits on its own measure, never merged
        note = "measured with the baseline's settings"
        theirs = [Limit(f.rail, f.value, "baseline", note) for f in guardrail_limits(base, None)]
        judged = [(found, run) for found in guardrail_limits(own, None)]
        judged += [(found, measured) for found in theirs]
        judged.sort(key=lambda pair: GUARDRAILS.index(pair[0].rail))
    results = []
    for found, on in judged:
        if on is None:  # never judged on the candidate's own measure: not checked, fails
            results.append(_sourced(_not_measured(found), found))
            continue
        way = basis if on is run else labels_basis(on, labels)
        results.append(_sourced(judge_guardrail(on, found.rail, found.value, way, strict), found))
    return results


def _not_measured(limit: Limit) -> GuardrailResult:
    """A baseline guardrail with no run measured the baseline's way: it fails, unchecked."""
    rail = limit.rail
    return GuardrailResult(
        rail.id,
        rail.key,
        None,
        limit.value,
        rail.direction,
        False,
        f"{rail.key}: cannot be checked here, the candidate changes how metrics are measured "
        "(`riskctl check` measures the baseline's guardrails the baseline's way)",
    )


def _sourced(result: GuardrailResult, limit: Limit) -> GuardrailResult:
    """The result, saying where its limit came from when not (only) from the candidate."""
    if limit.source == "candidate" and not limit.note:
        return result
    where = f"{SOURCES[limit.source]} limit"
    message = result.message + f" ({where}" + (f": {limit.note})" if limit.note else ")")
    return GuardrailResult(
        **{**result.to_dict(), "message": message, "source": limit.source, "note": limit.note}
    )
