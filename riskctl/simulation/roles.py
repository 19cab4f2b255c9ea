"""Which columns of an evaluated table hold the label, the event time and the amount, and
the moment its labels' ages count from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riskctl.strategy.schema import History


@dataclass(frozen=True)
class Roles:
    label: str
    time: str | None = None
    amount: str | None = None
    history: History | None = None  # how production chose which rows got an outcome
    # label maturity counts back from here: for a slice of rows, the whole data's newest
    # time (None: the table's own newest row)
    as_of: Any = None
