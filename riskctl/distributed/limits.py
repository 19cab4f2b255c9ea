"""What runs on one machine only, refused by name on a cluster (never silently ignored).

The cluster reduces simulate, check and sweep to per-part counts (cells, score histograms).
The three-way label estimates (naive, bounds, control-group estimate) of rows with no usable
label, and inverse-propensity weights, are computed from the rows themselves: with them,
riskctl says so and stops instead of giving numbers that differ from one machine.
"""

from __future__ import annotations

from riskctl.errors import UsageError
from riskctl.strategy.schema import History

HINT = "drop it, or drop --scheduler to run on this machine"
ONE_MACHINE_FEATURES = "here, derived features (features.yaml) run on one machine only"
FEATURES_HINT = (
    "derive them first with `riskctl features SPEC --scheduler ...`, then run the derived table"
)
UNSEEN_HINT = (
    "simulate without --scheduler (the estimates need the rows), or pass data whose matured "
    "rows all have a label"
)


def one_machine_only(given: dict[str, object]) -> None:
    """`given`: flag -> value; the first flag that is set is refused."""
    for flag, value in given.items():
        if value not in (None, [], (), False, "auto"):
            raise UsageError(f"{flag} runs on one machine only", hint=HINT)


def outcome_flags(
    labels: str | None,
    decision: str | None,
    no_outcome: list[str] | None,
    control: str | None,
    propensity: str | None,
) -> dict[str, object]:
    """The unseen-outcome flags of simulate, check and sweep, by name, for `one_machine_only`."""
    return {
        "--labels": labels,
        "--decision": decision,
        "--no-outcome": no_outcome,
        "--control": control,
        "--propensity": propensity,
    }


def unweighted(history: History | None, source: str) -> None:
    """A control group or propensities weight every label metric: one machine only."""
    if history is not None and (history.control or history.propensity):
        raise UsageError(
            f"{source}: a `history:` control group or propensity (weighted label metrics) "
            "runs on one machine only",
            hint="simulate without --scheduler",
        )


def all_seen(unlabelled: int, blocked: int, command: str = "simulate") -> None:
    """Matured rows with no usable label need the three-way estimates: one machine only."""
    if unlabelled or blocked:
        raise UsageError(
            f"{unlabelled + blocked:,} matured rows have no usable label ({unlabelled:,} "
            f"unlabelled, {blocked:,} blocked by production): their three-way label "
            "estimates run on one machine only",
            hint=UNSEEN_HINT.replace("simulate", command, 1),
        )
