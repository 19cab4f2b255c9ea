"""Which columns of an evaluated table hold the label, the event time and the amount."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roles:
    label: str
    time: str | None = None
    amount: str | None = None
