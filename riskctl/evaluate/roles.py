"""Which columns of an evaluated table hold the label, the event time and the amount."""

from __future__ import annotations

from dataclasses import dataclass

from riskctl.strategy.schema import History


@dataclass(frozen=True)
class Roles:
    label: str
    time: str | None = None
    amount: str | None = None
    history: History | None = None  # how production chose which rows got an outcome
