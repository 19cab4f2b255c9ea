"""Time windows for `discover`: every `--every` step from the first day of the data, each
`--window` long; a window's previous window (for burst ratios) is the one just before it,
of the same length.

Windows start at midnight UTC of the first event's day plus whole steps, so adding later
rows never moves an earlier window.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from riskctl.errors import UsageError
from riskctl.features.spec import WINDOW_UNITS

_SPAN = re.compile(r"^\s*(-?[0-9]+)\s*([smhdw])\s*$")
MAX_WINDOWS = 100_000


def parse_span(text: str, flag: str) -> timedelta:
    """`1d`, `12h`, `2w`... as a timedelta; UsageError for anything else or an empty span."""
    match = _SPAN.match(text)
    if match is None:
        raise UsageError(
            f"{flag} {text!r}: write a number and a unit (s, m, h, d, w)", hint=f"e.g. {flag} 1d"
        )
    seconds = int(match.group(1)) * WINDOW_UNITS[match.group(2)]
    if seconds <= 0:
        raise UsageError(f"{flag} {text}: an empty window holds no rows", hint=f"e.g. {flag} 1d")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - (self.end - self.start), self.start)


def plan_windows(
    first: datetime, last: datetime, window: timedelta, every: timedelta
) -> list[Window]:
    """The windows covering [first, last]; UsageError when one window is longer than the data
    (counted in whole days from midnight of the first day)."""
    anchor = first.replace(hour=0, minute=0, second=0, microsecond=0)
    days = max(1, math.ceil((last - anchor) / timedelta(days=1)))
    if window > timedelta(days=days):
        raise UsageError(
            f"--window {_shown(window)} is longer than the data ({days:,} day(s) from "
            f"{anchor:%Y-%m-%d} to {last:%Y-%m-%d %H:%M})",
            hint="pass a shorter --window, or more data",
        )
    count = (last - anchor) // every + 1
    if count > MAX_WINDOWS:
        raise UsageError(
            f"--every {_shown(every)} makes {count:,} windows (at most {MAX_WINDOWS:,})",
            hint="pass a longer --every",
        )
    return [Window(anchor + k * every, anchor + k * every + window) for k in range(count)]


def _shown(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % WINDOW_UNITS[unit] == 0:
            return f"{seconds // WINDOW_UNITS[unit]}{unit}"
    return f"{seconds}s"
