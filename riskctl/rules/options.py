"""What `riskctl rules suggest` is asked for."""

from __future__ import annotations

from dataclasses import dataclass, field


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
