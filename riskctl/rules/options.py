"""What `riskctl rules suggest` is asked for."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from riskctl.errors import UsageError


@dataclass(frozen=True)
class Options:
    budget_fpr: float = 0.002
    action: str = "review"
    max_rules: int = 5
    max_conditions: int = 3
    columns: list[str] | None = None
    exclude: list[str] = field(default_factory=list)
    holdout: float | None = None
    holdout_from: str | None = None
    folds: int = 4
    min_folds: int = 3
    seed: int = 0
    attack: str | None = None  # default: a column named `attack`
    label: str | None = None
    time: str | None = None
    amount: str | None = None


def options_of(given: dict[str, Any]) -> Options:
    """`Options` from keyword arguments (the Python API), an unknown one named."""
    known = [f.name for f in fields(Options)]
    unknown = [k for k in given if k not in known]
    if unknown:
        raise UsageError(
            f"suggest_rules has no option {unknown[0]!r}", hint="options are: " + ", ".join(known)
        )
    return Options(**given)
