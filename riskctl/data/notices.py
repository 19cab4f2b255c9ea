"""Facts about the inputs that a command should mention once it is done, without stopping
(a CSV's cut-off last line, dropped): the library records them, the command line prints
each once as a warning on stderr."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_notices: list[str] = []


def notice(text: str) -> None:
    """Record `text` (once, however many times the same input is read)."""
    with _lock:
        if text not in _notices:
            _notices.append(text)


def take_notices() -> list[str]:
    """The notices recorded so far, in order; the record is then empty."""
    with _lock:
        taken = list(_notices)
        _notices.clear()
    return taken
